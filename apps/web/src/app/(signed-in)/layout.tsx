import Link from 'next/link';
import type { ReactNode } from 'react';
import { readWebEnv } from '@/env';
import { ApolloProvider } from '../apollo-provider';
import { requireSessionToken } from '../session';
import { signOut } from '../sign-in/actions';
import { SearchBox } from './search-box';
import { ShortcutsHelp } from './shortcuts-help';

// Every page in this group needs a session. The token itself stays on the server: the browser's Apollo Client
// gets only where the API's WebSocket is (see apollo-provider.tsx).
export default async function SignedInLayout({ children }: { children: ReactNode }) {
  await requireSessionToken();
  const { apiWsUrl } = readWebEnv();
  return (
    <ApolloProvider connection={{ apiWsUrl }}>
      <header className="topbar">
        <Link href="/projects" className="brand">
          Tuneboard
        </Link>
        <SearchBox />
        <nav aria-label="Main">
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
      <ShortcutsHelp />
    </ApolloProvider>
  );
}
