// Server side only: Apollo Client for React Server Components, one per request, authenticated with the session.
import { HttpLink } from '@apollo/client';
import { ApolloClient, InMemoryCache, registerApolloClient } from '@apollo/client-integration-nextjs';
import { apiUnreachableMessage, readWebEnv } from '@/env';
import { forwardedForHeader } from '@/lib/browser-address';
import { sessionToken } from './session';

export const { getClient, query: serverQuery } = registerApolloClient(async () => {
  const token = await sessionToken();
  const { apiUrl } = readWebEnv();
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new HttpLink({
      uri: apiUrl,
      // A refused connection names the URL tried, so a wrong port or TUNEBOARD_API_URL is plain on the page.
      fetch: (input, init) =>
        fetch(input, init).catch(() => {
          throw new Error(apiUnreachableMessage(apiUrl));
        }),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(await forwardedForHeader()) },
      // Every page shows the team's current data; Next must not cache API responses.
      fetchOptions: { cache: 'no-store' },
    }),
  });
});
