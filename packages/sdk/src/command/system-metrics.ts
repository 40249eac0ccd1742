import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * System metrics of a command's process tree, sampled every few seconds: CPU (percent of one core, summed over
 * the tree) and resident memory, from /proc on Linux or `ps` elsewhere; and per GPU, utilisation and memory from
 * `nvidia-smi` when it is installed (the GPUs of the machine, as nvidia-smi reports them).
 */

export type SystemSample = Record<string, number>;

interface ProcessInfo {
  pid: number;
  ppid: number;
  /** CPU seconds used (user + system). */
  cpuSeconds: number;
  rssBytes: number;
}

// Linux reports CPU time in clock ticks (USER_HZ, 100 on every mainstream architecture) and RSS in pages.
const CLOCK_TICKS = 100;
const PAGE_BYTES = 4096;

function readProc(): ProcessInfo[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const processes: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields follow the last ")".
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A process that exited but is not yet reaped holds no memory and uses no CPU.
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      processes.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
        rssBytes: Number(fields[21]) * PAGE_BYTES,
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return processes;
}

function run(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5_000 }, (error, stdout) => resolve(error ? null : stdout));
  });
}

async function readPs(): Promise<ProcessInfo[] | null> {
  const out = await run('ps', ['-A', '-o', 'pid=,ppid=,rss=,time=']);
  if (out === null) return null;
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, rss, time] = line.trim().split(/\s+/);
      // [[dd-]hh:]mm:ss
      const [days, clock] = time!.includes('-') ? time!.split('-') : ['0', time!];
      const seconds = clock!.split(':').reduce((sum, part) => sum * 60 + Number(part), 0) + Number(days) * 86_400;
      return { pid: Number(pid), ppid: Number(ppid), cpuSeconds: seconds, rssBytes: Number(rss) * 1024 };
    });
}

/** The root and its descendants. */
export function treeOf(processes: readonly ProcessInfo[], root: number): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const tree: ProcessInfo[] = [];
  const queue = processes.filter((p) => p.pid === root);
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

/** `nvidia-smi`'s per-GPU utilisation and memory; null when there is no nvidia-smi (or it fails). */
export async function readGpus(): Promise<SystemSample | null> {
  const out = await run('nvidia-smi', ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits']);
  if (out === null) return null;
  const sample: SystemSample = {};
  for (const line of out.trim().split('\n')) {
    const [index, utilization, used, total] = line.split(',').map((part) => Number(part.trim()));
    if (!Number.isInteger(index)) continue;
    if (Number.isFinite(utilization)) sample[`system/gpu${index}/utilization_percent`] = utilization!;
    if (Number.isFinite(used)) sample[`system/gpu${index}/memory_mb`] = used!;
    if (Number.isFinite(used) && Number.isFinite(total) && total! > 0) sample[`system/gpu${index}/memory_percent`] = (100 * used!) / total!;
  }
  return sample;
}

/** Samples a process tree; the first sample has no CPU figure (it needs two readings of CPU time). */
export class SystemSampler {
  private last: { at: number; cpuSeconds: Map<number, number> } | null = null;
  private gpus = true;

  constructor(private readonly rootPid: number) {}

  async sample(): Promise<SystemSample> {
    const processes = readProc() ?? (await readPs()) ?? [];
    const tree = treeOf(processes, this.rootPid);
    const now = performance.now();
    const sample: SystemSample = {};
    if (tree.length > 0) {
      sample['system/memory_mb'] = tree.reduce((sum, p) => sum + p.rssBytes, 0) / 1024 / 1024;
      sample['system/processes'] = tree.length;
      const cpuSeconds = new Map(tree.map((p) => [p.pid, p.cpuSeconds]));
      if (this.last) {
        // CPU used since the last sample by processes alive at both (a process that ended took its time with it).
        let used = 0;
        for (const [pid, seconds] of cpuSeconds) used += Math.max(0, seconds - (this.last.cpuSeconds.get(pid) ?? 0));
        const elapsed = (now - this.last.at) / 1000;
        if (elapsed > 0) sample['system/cpu_percent'] = (100 * used) / elapsed;
      }
      this.last = { at: now, cpuSeconds };
    }
    if (this.gpus) {
      const gpus = await readGpus();
      // No nvidia-smi: no GPU metrics, and no more attempts.
      if (gpus === null) this.gpus = false;
      else Object.assign(sample, gpus);
    }
    return sample;
  }
}
