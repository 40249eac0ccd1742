import type { Metadata } from 'next';
import { ViewerTokensDocument, type ViewerTokensQuery } from '@/graphql/generated/graphql';
import { serverQuery } from '../../apollo-server';
import { Empty, ErrorNotice } from '../../status-views';
import { revokeToken } from './actions';
import { CreateTokenForm } from './create-token-form';

export const metadata: Metadata = { title: 'API tokens' };

const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleString('en-GB') : '—');

export default async function TokensPage() {
  let data: ViewerTokensQuery | undefined;
  let failure: unknown;
  try {
    data = (await serverQuery({ query: ViewerTokensDocument })).data;
  } catch (error) {
    failure = error;
  }
  return (
    <main className="page">
      <h1>API tokens</h1>
      <p className="muted">Tokens sign in here, and authenticate the CLI, the SDK and workers.</p>
      <CreateTokenForm />
      {!data ? (
        <ErrorNotice error={failure ?? new Error('The API returned no data.')} />
      ) : data.viewer.tokens.length === 0 ? (
        <Empty>No tokens yet.</Empty>
      ) : (
        <table className="plain">
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.viewer.tokens.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{formatDate(token.createdAt)}</td>
                <td>{formatDate(token.lastUsedAt)}</td>
                <td>{token.revokedAt ? `revoked ${formatDate(token.revokedAt)}` : 'active'}</td>
                <td>
                  {!token.revokedAt && (
                    <form action={revokeToken}>
                      <input type="hidden" name="id" value={token.id} />
                      <button type="submit" className="danger small">
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
