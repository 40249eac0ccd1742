import type { Metadata } from 'next';
import { ViewerTokensDocument, type ViewerTokensQuery } from '@/graphql/generated/graphql';
import { serverQuery } from '../../apollo-server';
import { Empty, ErrorNotice } from '../../status-views';
import { CreateTokenForm } from './create-token-form';
import { RevokeTokenButton } from './revoke-token-button';
import { LocalTime } from '../../local-time';

export const metadata: Metadata = { title: 'API tokens' };

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
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.viewer.tokens.map((token) => (
              <tr key={token.id} aria-current={token.current ? 'true' : undefined}>
                <td>
                  {token.name}
                  {token.current && <span className="badge small"> signed in with this one</span>}
                </td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>
                  <LocalTime iso={token.createdAt} />
                </td>
                <td>
                  <LocalTime iso={token.lastUsedAt} />
                </td>
                <td>
                  {token.revokedAt ? (
                    <>
                      revoked <LocalTime iso={token.revokedAt} />
                    </>
                  ) : (
                    'active'
                  )}
                </td>
                <td>{!token.revokedAt && <RevokeTokenButton id={token.id} name={token.name} current={token.current} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
