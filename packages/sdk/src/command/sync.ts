import type { TuneboardClient } from '../client';
import { TuneboardError } from '../errors';
import { Spool } from './spool';

/**
 * `tuneboard sync`: delivers what `tuneboard run` could not (the API was down when the command ended). Journals of
 * a `tuneboard run` still running are left to it.
 */
export async function syncSpools(
  client: TuneboardClient,
  root: string,
  report: (message: string) => void = (m) => process.stderr.write(`tuneboard: ${m}\n`),
): Promise<{ runs: { runId: string; delivered: number; pending: number; error?: string }[] }> {
  const runs: { runId: string; delivered: number; pending: number; error?: string }[] = [];
  for (const dir of Spool.list(root)) {
    const spool = Spool.open(dir);
    if (spool.meta.pid !== process.pid && alive(spool.meta.pid)) {
      report(`run ${spool.meta.runId} is still being tracked by process ${spool.meta.pid}; left to it`);
      continue;
    }
    let delivered = 0;
    try {
      while (spool.pending > 0) delivered += await spool.sendNext(client);
      spool.remove();
      report(`run ${spool.meta.runName} (${spool.meta.runId}): delivered ${delivered.toLocaleString('en')} records`);
      runs.push({ runId: spool.meta.runId, delivered, pending: 0 });
    } catch (error) {
      const message = error instanceof TuneboardError ? error.message : String(error);
      report(`run ${spool.meta.runId}: ${message}; ${spool.pending.toLocaleString('en')} records remain in ${dir}`);
      runs.push({ runId: spool.meta.runId, delivered, pending: spool.pending, error: message });
    }
  }
  return { runs };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
