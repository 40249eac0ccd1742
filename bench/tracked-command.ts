/**
 * `tuneboard run` around a script that prints as fast as it can: how much the wrapper slows the command (the
 * script times itself, bare and wrapped, side by side), and how fast its output reaches the API as console lines
 * and metric points. Checks that every line and point was stored.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, graphql, type BenchContext, type Result } from './util';

const TUNEBOARD = fileURLToPath(new URL('../apps/api/bin/tuneboard.mjs', import.meta.url));

// Half the lines are metrics lines (two metrics each), half ordinary output; the script reports its own run time.
const SCRIPT = `
const n = Number(process.argv[2]);
const started = performance.now();
let out = '';
for (let i = 0; i < n; i++) {
  out += i % 2 ? '{"step": ' + (i >> 1) + ', "train/loss": ' + 1 / (i + 1) + ', "lr": 0.001}\\n' : 'epoch ' + i + ' batch done, 128 samples, loss ' + 1 / (i + 1) + '\\n';
  if (out.length > 65536) { process.stdout.write(out); out = ''; }
}
process.stdout.write(out, () => { process.stderr.write('script-ms ' + (performance.now() - started) + '\\n'); });
`;

function exec(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr, ms: performance.now() - started }));
  });
}

const scriptMs = (stderr: string) => Number(/script-ms ([\d.]+)/.exec(stderr)?.[1] ?? NaN);

export async function benchTrackedCommand(ctx: BenchContext): Promise<Result[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-bench-run-'));
  try {
    const script = join(dir, 'print.mjs');
    writeFileSync(script, SCRIPT);
    const lines = Math.max(1_000, Math.round(200_000 * ctx.scale));
    const env = { ...process.env, TUNEBOARD_API_URL: ctx.url, TUNEBOARD_TOKEN: ctx.token, TUNEBOARD_SPOOL_DIR: join(dir, 'spool') };
    // Bare and wrapped, alternating, so both see the same machine load.
    const bare: number[] = [];
    const wrapped: number[] = [];
    const total: number[] = [];
    let runId = '';
    for (let i = 0; i < 3; i++) {
      const plain = await exec([process.execPath, script, String(lines)], env);
      bare.push(scriptMs(plain.stderr));
      const tracked = await exec(
        [process.execPath, TUNEBOARD, 'run', '--project', 'bench-run', '--system-interval', '0', '--', process.execPath, script, String(lines)],
        env,
      );
      check(tracked.code === 0, `tuneboard run exited ${tracked.code}: ${tracked.stderr}`);
      wrapped.push(scriptMs(tracked.stderr));
      total.push(tracked.ms);
      runId = /\(([0-9a-f-]{36})\)/.exec(tracked.stderr)![1]!;
    }
    const stored = await graphql(ctx, JSON.stringify({ query: `{ run(id: "${runId}") { logs(first: 1) { total } metrics { key pointCount } } }` }));
    // Every line printed, and the script's own timing line on stderr.
    check(stored.run.logs.total === lines + 1, `stored ${stored.run.logs.total} console lines of ${lines + 1}`);
    const points = stored.run.metrics.reduce((sum: number, m: { pointCount: number }) => sum + m.pointCount, 0);
    check(points === lines, `stored ${points} metric points of ${lines}`);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const records = lines + points;
    return [
      {
        database: ctx.kind,
        figure: `tuneboard run: ${lines.toLocaleString('en')} output lines, the command's own run time wrapped / bare (median of 3)`,
        target: 'report',
        measured: Math.round(median(wrapped)),
        unit: 'ms',
        ratio: median(wrapped) / median(bare),
      },
      {
        database: ctx.kind,
        figure: 'tuneboard run: console lines + metric points stored per second, start to exit (median of 3)',
        target: 'report',
        measured: Math.round(records / (median(total) / 1000)),
        unit: 'records/s',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
