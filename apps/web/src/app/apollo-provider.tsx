'use client';
// Apollo Client for Client Components. The browser talks to the API directly (it sends CORS headers for any
// origin): queries and mutations over HTTP, subscriptions over graphql-ws, both with the session's token.
import { ApolloLink, HttpLink } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { ApolloClient, ApolloNextAppProvider, InMemoryCache } from '@apollo/client-integration-nextjs';
import { createClient } from 'graphql-ws';
import type { ReactNode } from 'react';

export interface ApiConnection {
  apiUrl: string;
  apiWsUrl: string;
  token: string;
}

function makeClient({ apiUrl, apiWsUrl, token }: ApiConnection): ApolloClient {
  const authorization = `Bearer ${token}`;
  const http = new HttpLink({ uri: apiUrl, headers: { authorization } });
  // Server-side rendering of client components never subscribes; only the browser opens a socket.
  const link =
    typeof window === 'undefined'
      ? http
      : ApolloLink.split(
          ({ query }) => {
            const definition = getMainDefinition(query);
            return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
          },
          new GraphQLWsLink(createClient({ url: apiWsUrl, connectionParams: { authorization }, lazy: true })),
          http,
        );
  return new ApolloClient({
    cache: new InMemoryCache({
      typePolicies: {
        // Runs are listed page by page; each page is a separate read (see the runs table), not merged here.
        Query: { fields: { runs: { keyArgs: ['projectId', 'filter', 'orderBy', 'after', 'first'] } } },
      },
    }),
    link,
  });
}

export function ApolloProvider({ connection, children }: { connection: ApiConnection; children: ReactNode }) {
  return <ApolloNextAppProvider makeClient={() => makeClient(connection)}>{children}</ApolloNextAppProvider>;
}
