import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PROJECT, MLP_CONFIG, startTestApi, SUBMIT_RUN, testDatabases, type TestApi, type TestUser } from './harness';

// A run's console log: lines appended by `tuneboard run` (numbered by the sender, so replays store nothing twice),
// read back in pages from either end, searchable.

const APPEND = /* GraphQL */ `
  mutation ($r: ID!, $lines: [RunLogLineInput!]!) {
    appendRunLog(runId: $r, lines: $lines) {
      accepted
      run {
        status
      }
    }
  }
`;
const LOGS = /* GraphQL */ `
  query ($id: ID!, $after: Int, $first: Int, $before: Int, $last: Int, $search: String) {
    run(id: $id) {
      logs(after: $after, first: $first, before: $before, last: $last, search: $search) {
        total
        hasMore
        hasEarlier
        lines {
          seq
          stream
          text
          time
        }
      }
    }
  }
`;

type Line = { seq: number; stream: 'STDOUT' | 'STDERR'; text: string; time?: number };
const lines = (from: number, to: number): Line[] =>
  Array.from({ length: to - from }, (_, i) => ({
    seq: from + i,
    stream: (from + i) % 10 === 9 ? 'STDERR' : 'STDOUT',
    text: `epoch ${from + i} loss=${(1 / (from + i + 1)).toFixed(4)}`,
  }));

for (const database of testDatabases()) {
  describe(`console logs on ${database.name}`, () => {
    let api: TestApi;
    let alice: TestUser;
    let viewer: TestUser;
    let mallory: TestUser;
    let runId: string;

    beforeAll(async () => {
      api = await startTestApi(database);
      alice = await api.user('alice@example.com', 'vision');
      viewer = await api.user('victor@example.com', 'vision', 'viewer');
      mallory = await api.user('mallory@example.com', 'other');
      const projectId = (await alice.ok(CREATE_PROJECT, { teamId: alice.teamId, name: 'scripts' })).createProject.id;
      runId = (await alice.ok(SUBMIT_RUN, { input: { projectId, hparams: MLP_CONFIG, execution: 'EXTERNAL' } })).submitRun.run.id;
    });
    afterAll(() => api?.close());

    const page = async (args: Record<string, unknown>, user = alice) => (await user.ok(LOGS, { id: runId, ...args })).run.logs;

    it('stores lines once, however often a batch is replayed, with their stream and time', async () => {
      const first = await alice.ok(APPEND, { r: runId, lines: [...lines(0, 600)].map((l) => ({ ...l, time: 1_780_000_000_000 + l.seq })) });
      expect(first.appendRunLog).toEqual({ accepted: 600, run: { status: 'RUNNING' } });
      // A replay of an overlapping batch (a retry after a timeout, or the disk buffer after an API restart).
      const replay = await alice.ok(APPEND, { r: runId, lines: lines(500, 1200) });
      expect(replay.appendRunLog.accepted).toBe(600);
      const head = await page({ first: 3 });
      expect(head).toMatchObject({ total: 1200, hasMore: true, hasEarlier: false });
      expect(head.lines).toEqual([
        { seq: 0, stream: 'STDOUT', text: 'epoch 0 loss=1.0000', time: new Date(1_780_000_000_000).toISOString() },
        { seq: 1, stream: 'STDOUT', text: 'epoch 1 loss=0.5000', time: new Date(1_780_000_000_001).toISOString() },
        { seq: 2, stream: 'STDOUT', text: 'epoch 2 loss=0.3333', time: new Date(1_780_000_000_002).toISOString() },
      ]);
    });

    it('pages forward from a line and backward from the tail', async () => {
      const forward = await page({ after: 1195 });
      expect(forward.lines.map((l: Line) => l.seq)).toEqual([1196, 1197, 1198, 1199]);
      expect(forward).toMatchObject({ hasMore: false, hasEarlier: true });
      const tail = await page({ last: 5 });
      expect(tail.lines.map((l: Line) => l.seq)).toEqual([1195, 1196, 1197, 1198, 1199]);
      expect(tail).toMatchObject({ hasMore: false, hasEarlier: true });
      const earlier = await page({ last: 3, before: 1195 });
      expect(earlier.lines.map((l: Line) => l.seq)).toEqual([1192, 1193, 1194]);
      expect(earlier).toMatchObject({ hasMore: true, hasEarlier: true });
      // The default page is the first 500 lines.
      expect((await page({})).lines).toHaveLength(500);
      expect((await page({ after: 5000 })).lines).toEqual([]);
    });

    it('searches ignoring case, with % and _ meaning themselves, and pages through the matches', async () => {
      await alice.ok(APPEND, {
        r: runId,
        lines: [
          { seq: 1200, stream: 'STDERR', text: 'Traceback: CUDA out of memory (100% used)' },
          { seq: 1201, stream: 'STDOUT', text: 'cuda_visible_devices=0' },
          { seq: 1202, stream: 'STDOUT', text: 'unicode: 学习率 λ=3e-4' },
        ],
      });
      const cuda = await page({ search: 'CUDA' });
      expect(cuda.total).toBe(2);
      expect(cuda.lines.map((l: Line) => l.seq)).toEqual([1200, 1201]);
      expect((await page({ search: '100%' })).lines.map((l: Line) => l.seq)).toEqual([1200]);
      expect((await page({ search: 'epoch_1' })).total).toBe(0);
      expect((await page({ search: '学习率' })).lines.map((l: Line) => l.text)).toEqual(['unicode: 学习率 λ=3e-4']);
      const stderr = await page({ search: 'epoch 1', first: 2 });
      expect(stderr.lines.map((l: Line) => l.seq)).toEqual([1, 10]);
      expect(stderr).toMatchObject({ total: 311, hasMore: true, hasEarlier: false });
      const lastMatches = await page({ search: 'epoch 1', last: 2 });
      expect(lastMatches.lines.map((l: Line) => l.seq)).toEqual([1198, 1199]);
    });

    it('refuses bad lines with the path of each, storing nothing of the batch', async () => {
      const bad = await alice.request(APPEND, {
        r: runId,
        lines: [
          { seq: 2000, stream: 'STDOUT', text: 'fine' },
          { seq: -1, stream: 'STDOUT', text: 'negative' },
          { seq: 1_000_000, stream: 'STDOUT', text: 'past the end' },
          { seq: 2001, stream: 'STDOUT', text: 'x'.repeat(16_385) },
          { seq: 2003, stream: 'STDOUT', text: 'when?', time: 1e18 },
          { seq: 2004, stream: 'STDOUT', text: 'fine, but not stored with the others' },
        ],
      });
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.extensions?.problems?.map((p: { path: string }) => p.path)).toEqual([
        'lines[1].seq',
        'lines[2].seq',
        'lines[3].text',
        'lines[4].time',
      ]);
      expect((await page({ after: 1999 })).lines).toEqual([]);
      // NUL, which PostgreSQL text cannot hold, is refused with every other string input, naming the variable's path.
      const nul = await alice.request(APPEND, { r: runId, lines: [{ seq: 2002, stream: 'STDERR', text: 'nul \u0000 byte' }] });
      expect(nul.errors?.[0]?.extensions?.problems?.[0]?.path).toBe('$lines[0].text');
      const tooMany = await alice.request(APPEND, { r: runId, lines: lines(3000, 13_001) });
      expect(tooMany.errors?.[0]?.message).toContain('at most 10,000 lines');
      const badStream = await alice.request(APPEND, { r: runId, lines: [{ seq: 5, stream: 'STDIN', text: 'x' }] });
      expect(badStream.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses pages too large, both ends at once, and over-long searches', async () => {
      for (const [args, path] of [
        [{ first: 5001 }, 'first'],
        [{ last: -1 }, 'last'],
        [{ first: 10, last: 10 }, 'last'],
        [{ search: 's'.repeat(201) }, 'search'],
      ] as const) {
        const result = await alice.request(LOGS, { id: runId, ...args });
        expect(result.errors?.[0]?.extensions?.problems?.[0]?.path).toBe(path);
      }
    });

    it('lets a viewer read but not append, and hides the log from other teams and anonymous callers', async () => {
      expect((await page({ first: 1 }, viewer)).total).toBe(1203);
      const append = await viewer.request(APPEND, { r: runId, lines: lines(5000, 5001) });
      expect(append.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const foreign = await mallory.request(APPEND, { r: runId, lines: lines(5000, 5001) });
      expect(foreign.errors?.[0]).toMatchObject({ message: `Run ${runId} was not found`, extensions: { code: 'NOT_FOUND' } });
      expect((await mallory.request(LOGS, { id: runId })).data?.run).toBeNull();
      const anonymous = await fetch(api.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: APPEND, variables: { r: runId, lines: lines(5000, 5001) } }),
      });
      expect(((await anonymous.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await page({ after: 4999 })).lines).toEqual([]);
    });
  });
}
