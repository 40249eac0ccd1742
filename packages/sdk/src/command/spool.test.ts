import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TuneboardClient } from '../client';
import { Spool } from './spool';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const root = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-spool-'));
  dirs.push(dir);
  return dir;
};
const meta = { runId: '6f1c2b9e-0000-4000-8000-000000000001', runName: 'r', apiUrl: 'http://x/graphql', pid: process.pid, createdAt: '2026-12-01T00:00:00Z' };

/** A client whose API answers with `answer` and records each request. */
function fakeClient(answer: (body: { query: string; variables: Record<string, any> }) => Response | Promise<Response>) {
  const requests: { query: string; variables: Record<string, any> }[] = [];
  const client = new TuneboardClient({
    url: 'http://tuneboard.test/graphql',
    token: 't',
    fetch: async (_url, init) => {
      const body = JSON.parse(String(init!.body));
      requests.push(body);
      return answer(body);
    },
  });
  return { client, requests };
}
const ok = (data: object) => new Response(JSON.stringify({ data }), { status: 200 });

describe('the disk buffer of tuneboard run', () => {
  it('sends console lines and metrics together, then the final status alone', async () => {
    const spool = Spool.create(root(), meta);
    spool.append({ t: 'log', seq: 0, stream: 'STDOUT', text: '{"step": 0, "loss": NaN}', time: 1 });
    spool.append({ t: 'metric', key: 'loss', step: 0, value: 'NaN', time: 1 });
    spool.append({ t: 'metric', key: 'loss', step: 0, value: 0.5, time: 2 });
    spool.append({ t: 'end', status: 'SUCCEEDED' });
    const { client, requests } = fakeClient((body) =>
      body.query.includes('setRunStatus')
        ? ok({ setRunStatus: { id: meta.runId, status: 'SUCCEEDED' } })
        : ok({ appendRunLog: { accepted: 1 }, logMetrics: { accepted: 1 } }),
    );
    expect(await spool.sendNext(client)).toBe(3);
    expect(requests[0]!.variables).toMatchObject({
      lines: [{ seq: 0, stream: 'STDOUT', text: '{"step": 0, "loss": NaN}', time: 1 }],
      // The same step twice in a batch: the later value wins, as across batches.
      series: [{ key: 'loss', steps: [0], values: [0.5], wallTimes: [2] }],
      withLines: true,
      withMetrics: true,
    });
    expect(await spool.sendNext(client)).toBe(1);
    expect(requests[1]!.variables).toMatchObject({ i: { runId: meta.runId, status: 'SUCCEEDED' } });
    expect(spool.pending).toBe(0);
  });

  it('keeps everything on disk through failures and resumes after what was acknowledged', async () => {
    const dir = root();
    const spool = Spool.create(dir, meta);
    for (let i = 0; i < 7_000; i++) spool.append({ t: 'log', seq: i, stream: 'STDOUT', text: `line ${i}`, time: i });
    let down = true;
    const { client } = fakeClient(() => (down ? new Response('bad gateway', { status: 502 }) : ok({ appendRunLog: { accepted: 5000 } })));
    await expect(spool.sendNext(client)).rejects.toMatchObject({ retryable: true });
    expect(spool.pending).toBe(7_000);
    down = false;
    expect(await spool.sendNext(client)).toBe(5_000);
    expect(readFileSync(join(dir, meta.runId, 'sent'), 'utf8')).toBe('5000');
    // A crash here: what another process finds is the 2,000 lines not acknowledged (a torn last line is skipped).
    appendFileSync(join(dir, meta.runId, 'journal.jsonl'), '{"t":"log","seq":70');
    const reopened = Spool.open(join(dir, meta.runId));
    expect(reopened.pending).toBe(2_000);
    const { client: second, requests } = fakeClient(() => ok({ appendRunLog: { accepted: 2000 } }));
    expect(await reopened.sendNext(second)).toBe(2_000);
    expect(requests[0]!.variables.lines[0]).toMatchObject({ seq: 5_000, text: 'line 5000' });
    expect(Spool.list(dir)).toEqual([join(dir, meta.runId)]);
    reopened.remove();
    expect(Spool.list(dir)).toEqual([]);
  });
});
