import Link from 'next/link';
import type { ReactNode } from 'react';
import { readWebEnv } from '@/env';
import { ApolloProvider } from '../apollo-provider';
import { requireSessionToken } from '../session';
import { signOut } from '../sign-in/actions';

// Every page in this group needs a session; the token goes to the browser's Apollo Client from here.
export default async function SignedInLayout({ children }: { children: ReactNode }) {
  const token = await requireSessionToken();
  const { apiUrl, apiWsUrl } = readWebEnv();
  return (
    <ApolloProvider connection={{ apiUrl, apiWsUrl, token }}>
      <header className="topbar">
        <Link href="/projects" className="brand">
          Tuneboard
        </Link>
        <nav>
          <Link href="/projects">Projects</Link>
          <Link href="/tokens">Tokens</Link>
          <form action={signOut}>
            <button type="submit" className="link">
              Sign out
            </button>
          </form>
        </nav>
      </header>
      {children}
    </ApolloProvider>
  );
}
