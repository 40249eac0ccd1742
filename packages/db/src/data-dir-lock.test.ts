import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirInUseError } from './data-dir-lock';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A pid that certainly does not exist: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('the data directory lock', () => {
  it('refuses a second holder while the first is alive, naming its pid', async () => {
    const dir = tempDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(dir, 'tuneboard.lock'), String(holder.pid));
      expect(() => acquireDataDirLock(dir)).toThrow(DataDirInUseError);
      expect(() => acquireDataDirLock(dir)).toThrow(`(pid ${holder.pid})`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a process that died, and releases only its own lock', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tuneboard.lock'), String(await deadPid()));
    const lock = acquireDataDirLock(dir);
    expect(readFileSync(join(dir, 'tuneboard.lock'), 'utf8')).toBe(String(process.pid));
    expect(existsSync(join(dir, 'tuneboard.lock.takeover'))).toBe(false);
    lock.release();
    expect(existsSync(join(dir, 'tuneboard.lock'))).toBe(false);
  });

  it('lets exactly one of several processes racing for the same stale lock win', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tuneboard.lock'), String(await deadPid()));
    const racer = `
      import { acquireDataDirLock } from ${JSON.stringify(new URL('./data-dir-lock.ts', import.meta.url).pathname)};
      try { acquireDataDirLock(${JSON.stringify(dir)}); console.log('won'); setTimeout(() => {}, 1500); }
      catch (e) { console.log(e.name); }`;
    const tsx = new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, [tsx, '--input-type=module', '-e', racer]);
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        return new Promise<string>((resolve) => child.once('exit', () => resolve(out.trim())));
      }),
    );
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'DataDirInUseError')).toHaveLength(3);
  });
});
