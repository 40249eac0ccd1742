import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is open in another Tuneboard process (pid ${pid}). ` +
        `Only one process can open an embedded data directory at a time. Stop that process first, ` +
        `or use a PostgreSQL server (DATABASE_URL), which any number of processes can share.`,
    );
    this.name = 'DataDirInUseError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` holding our pid, failing with EEXIST if it exists (O_EXCL: atomic across processes). */
function createExclusive(path: string): void {
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null; // gone meanwhile
  }
}

/**
 * An exclusive lock on a PGlite data directory: a file holding the owner's pid, created with O_EXCL.
 * A lock left by a process that no longer exists (killed, crashed) is taken over — under a second,
 * short-lived lock, so two processes finding the same stale lock cannot both remove it and both win.
 */
export function acquireDataDirLock(dataDir: string): { release(): void } {
  const path = join(dataDir, 'tuneboard.lock');
  const takeover = `${path}.takeover`;
  let emptySeen = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      createExclusive(path);
      return holding(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(path);
    if (owner !== null && (owner === process.pid || isAlive(owner))) throw new DataDirInUseError(dataDir, owner);
    // An empty file is usually a lock being written right now; only one that stays empty is stale.
    if (owner === null && ++emptySeen < 25) {
      pause(20);
      continue;
    }
    // Stale (or half-written). Only the holder of the takeover lock may remove it.
    try {
      createExclusive(takeover);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const taker = ownerOf(takeover);
      if (taker !== null && !isAlive(taker)) rmSync(takeover, { force: true }); // a taker that died mid-way
      pause(20);
      continue;
    }
    try {
      // Still the same stale lock? Another process may have taken over and locked between our reads.
      const current = ownerOf(path);
      if (current === owner || current === null) rmSync(path, { force: true });
    } finally {
      rmSync(takeover, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}: ${path} keeps changing hands`);
}

/** A short synchronous wait: the lock is taken before anything asynchronous starts. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function holding(path: string): { release(): void } {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Remove only our own lock (never one a successor took over after a stale-lock check).
    if (ownerOf(path) === process.pid) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { release };
}
