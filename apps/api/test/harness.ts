import { testDatabases, type TestDatabase, type TestStore } from '@tuneboard/db/testing';
import { createClient, type Client } from 'graphql-ws';
import pino from 'pino';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../src/server';
import { createUserWithToken } from '../src/services/accounts';

/** A real API server on a random port over a throw-away database, with a client per user. */
export interface TestApi {
  server: RunningServer;
  store: TestStore;
  /** A user (created with the team if new; joining the one team of that name if it exists) and a client that sends their token. */
  user(email: string, team: string, role?: 'owner' | 'member' | 'viewer'): Promise<TestUser>;
  close(): Promise<void>;
}

export interface GraphQLResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; problems?: { path: string; message: string }[] } }[];
}

export interface TestUser {
  token: string;
  teamId: string;
  request<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
  /** Like request, but fails the test on any GraphQL error. */
  ok<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  subscribe(): Client;
}

export { testDatabases, type TestDatabase };

export async function postGraphQL(url: string, token: string | null, body: unknown): Promise<GraphQLResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, ...(JSON.parse(text) as object) };
}

export async function startTestApi(database: TestDatabase, options: Omit<ServerOptions, 'store'> = {}): Promise<TestApi> {
  const store = await database.open();
  // Bugs (INTERNAL_SERVER_ERROR) are logged to stderr so a failing test shows why.
  const server = await startServer({ store, port: 0, logger: pino({ level: process.env.TUNEBOARD_LOG_LEVEL ?? 'error' }), ...options });
  const clients: Client[] = [];
  return {
    server,
    store,
    async user(email, team, role) {
      const created = await createUserWithToken(store, { email, team, joinExisting: true, ...(role ? { role } : {}) });
      const request = (query: string, variables?: Record<string, unknown>) => postGraphQL(server.url, created.token, { query, variables });
      return {
        token: created.token,
        teamId: created.team.id,
        request,
        async ok(query, variables) {
          const result = await request(query, variables);
          if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
          return result.data;
        },
        subscribe() {
          const client = createClient({
            url: server.wsUrl,
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${created.token}` },
            lazy: false,
            retryAttempts: 0,
          });
          clients.push(client);
          return client;
        },
      };
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await server.stop();
      await store.destroy();
    },
  };
}

/** The usual start of a suite: a server, the user alice in team "vision", and one project of hers. */
export async function startWithProject(database: TestDatabase, projectName: string) {
  const api = await startTestApi(database);
  const alice = await api.user('alice@example.com', 'vision');
  const projectId: string = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: projectName })).createProject.id;
  return { api, alice, projectId };
}

export const MLP_CONFIG = {
  dataset: { name: 'mnist', trainSize: 1000, testSize: 200 },
  model: { kind: 'mlp', hiddenLayers: [32] },
  optimizer: { name: 'adam', learningRate: 0.001 },
  batchSize: 32,
  epochs: 1,
};

export const SUBMIT_RUN = /* GraphQL */ `
  mutation Submit($input: SubmitRunInput!) {
    submitRun(input: $input) {
      run {
        id
        name
        status
        tags
        params
        hparams
      }
      warnings {
        code
        message
      }
    }
  }
`;

export const CREATE_PROJECT = /* GraphQL */ `
  mutation CreateProject($teamId: ID!, $name: String!) {
    createProject(teamId: $teamId, name: $name) {
      id
      name
    }
  }
`;

export const LOG_METRICS = /* GraphQL */ `
  mutation Log($runId: ID!, $points: [MetricPointInput!], $series: [MetricSeriesInput!]) {
    logMetrics(runId: $runId, points: $points, series: $series) {
      accepted
    }
  }
`;

export const METRIC_SERIES = /* GraphQL */ `
  query Series($runIds: [ID!]!, $keys: [String!], $maxPoints: Int) {
    metricSeries(runIds: $runIds, keys: $keys, maxPoints: $maxPoints) {
      runId
      key
      pointCount
      downsampled
      steps
      values
      wallTimes
    }
  }
`;

/** A TCP port free on the loopback right now, for servers a test starts in child processes. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
