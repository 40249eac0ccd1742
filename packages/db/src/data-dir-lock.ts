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
        `or talk to the running server through its API (set TUNEBOARD_API_URL and TUNEBOARD_TOKEN), ` +
        `or use a PostgreSQL server (DATABASE_URL), which any number of processes can share.`,
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * An exclusive lock on a PGlite data directory: a file holding the owner's pid, created with O_EXCL.
 * A lock left behind by a process that no longer exists (killed, crashed) is taken over.
 */
export function acquireDataDirLock(dataDir: string): { release(): void } {
  const path = join(dataDir, 'tuneboard.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw new DataDirInUseError(dataDir, owner);
      if (owner === process.pid) throw new DataDirInUseError(dataDir, owner);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}: another process keeps recreating ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
