'use client';
// Apollo Client for Client Components. The browser never holds the session's API token: queries and mutations
// go to this site's /api/graphql (the server adds the token from the http-only cookie), and subscriptions go
// to the API's WebSocket with a short-lived ticket fetched from /api/subscription-ticket on every (re)connect.
import { ApolloLink, HttpLink } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { ApolloClient, ApolloNextAppProvider, InMemoryCache } from '@apollo/client-integration-nextjs';
import { createClient } from 'graphql-ws';
import type { ReactNode } from 'react';

export interface ApiConnection {
  /** The API's WebSocket endpoint as the browser reaches it. */
  apiWsUrl: string;
}

const GRAPHQL_PROXY_PATH = '/api/graphql';
const TICKET_PATH = '/api/subscription-ticket';

/** A fresh ticket for the WebSocket; a failure ends the subscription with the reason (e.g. signed out). */
async function subscriptionTicket(): Promise<string> {
  const response = await fetch(TICKET_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', cache: 'no-store' });
  const body = (await response.json().catch(() => ({}))) as {
    data?: { createSubscriptionTicket?: { token: string } };
    errors?: { message: string }[];
  };
  const token = body.data?.createSubscriptionTicket?.token;
  if (!token) throw new Error(body.errors?.[0]?.message ?? `No subscription ticket (HTTP ${response.status})`);
  return token;
}

function makeClient({ apiWsUrl }: ApiConnection): ApolloClient {
  // Server-side rendering of client components reads only the cache (no requests) and never subscribes.
  const http = new HttpLink({ uri: GRAPHQL_PROXY_PATH, credentials: 'same-origin' });
  const link =
    typeof window === 'undefined'
      ? http
      : ApolloLink.split(
          ({ query }) => {
            const definition = getMainDefinition(query);
            return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
          },
          new GraphQLWsLink(
            createClient({
              url: apiWsUrl,
              connectionParams: async () => ({ authorization: `Bearer ${await subscriptionTicket()}` }),
              lazy: true,
            }),
          ),
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
