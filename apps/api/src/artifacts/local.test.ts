import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local';
import { ArtifactPathError } from './paths';
import { ArtifactConflictError, ArtifactTooLargeError } from './store';

const MB = 1024 * 1024;
let base: string;
let root: string;
let outside: string;
let store: LocalArtifactStore;
const run = randomUUID();

const body = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
const incoming = () => readdirSync(join(root, '.incoming'));

beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'tuneboard-artifacts-'));
  root = join(base, 'artifacts');
  outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'not yours');
  store = await LocalArtifactStore.open(root);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('LocalArtifactStore', () => {
  it('stores, lists one level at a time and reads back byte-exact', async () => {
    const bytes = randomBytes(3 * MB + 17);
    expect(await store.put(run, ['model', 'weights.bin'], body(bytes.subarray(0, MB), bytes.subarray(MB)), 10 * MB)).toEqual({ size: bytes.length });
    await store.put(run, ['model', 'model.json'], body('{"format":"layers-model"}'), MB);
    await store.put(run, ['notes.txt'], body('hello'), MB);
    await store.put(run, ['empty.txt'], body(), MB);

    expect(await store.list(run, [])).toEqual([
      { path: 'empty.txt', isDir: false, size: 0 },
      { path: 'model', isDir: true, size: null },
      { path: 'notes.txt', isDir: false, size: 5 },
    ]);
    expect(await store.list(run, ['model'])).toEqual([
      { path: 'model/model.json', isDir: false, size: 25 },
      { path: 'model/weights.bin', isDir: false, size: bytes.length },
    ]);
    const got = await store.get(run, ['model', 'weights.bin']);
    expect(got?.size).toBe(bytes.length);
    expect((await read(got!.stream)).equals(bytes)).toBe(true);
    expect(readFileSync(join(root, run, 'notes.txt'), 'utf8')).toBe('hello');
    expect(incoming()).toEqual([]);
  });

  it('answers null or an empty list for what is not there, and for a file listed as a directory', async () => {
    await store.put(run, ['a.txt'], body('a'), MB);
    expect(await store.get(run, ['missing.txt'])).toBeNull();
    expect(await store.get(run, ['a.txt', 'below'])).toBeNull();
    expect(await store.get(randomUUID(), ['a.txt'])).toBeNull();
    expect(await store.list(run, ['nowhere'])).toEqual([]);
    expect(await store.list(run, ['a.txt'])).toEqual([]);
    expect(await store.list(randomUUID(), [])).toEqual([]);
    await store.put(run, ['dir', 'b.txt'], body('b'), MB);
    expect(await store.get(run, ['dir'])).toBeNull();
  });

  it('overwrites atomically: a reader holding the old file keeps reading the old bytes', async () => {
    await store.put(run, ['f.bin'], body('old contents'), MB);
    const before = await store.get(run, ['f.bin']);
    await store.put(run, ['f.bin'], body('new'), MB);
    expect((await read(before!.stream)).toString()).toBe('old contents');
    const after = await store.get(run, ['f.bin']);
    expect(after?.size).toBe(3);
    expect((await read(after!.stream)).toString()).toBe('new');
  });

  it('refuses past the size limit and leaves no partial file, keeping a file it would have replaced', async () => {
    await store.put(run, ['big.bin'], body('previous'), MB);
    await expect(store.put(run, ['big.bin'], body(randomBytes(600_000), randomBytes(600_000)), MB)).rejects.toThrow(ArtifactTooLargeError);
    await expect(store.put(run, ['new.bin'], body(randomBytes(MB + 1)), MB)).rejects.toThrow('larger than the limit of 1 MB');
    expect(incoming()).toEqual([]);
    expect(existsSync(join(root, run, 'new.bin'))).toBe(false);
    expect(readFileSync(join(root, run, 'big.bin'), 'utf8')).toBe('previous');
    // Exactly the limit is fine.
    expect((await store.put(run, ['exact.bin'], body(randomBytes(MB)), MB)).size).toBe(MB);
  });

  it('leaves no partial file when the body fails half-way (a client that disconnects)', async () => {
    async function* broken() {
      yield Buffer.from('first part');
      throw new Error('connection reset');
    }
    await expect(store.put(run, ['cut.bin'], broken(), MB)).rejects.toThrow('connection reset');
    expect(incoming()).toEqual([]);
    expect(existsSync(join(root, run, 'cut.bin'))).toBe(false);
  });

  it('refuses a file where a directory is, and a directory where a file is', async () => {
    await store.put(run, ['dir', 'x.txt'], body('x'), MB);
    await expect(store.put(run, ['dir'], body('y'), MB)).rejects.toThrow(ArtifactConflictError);
    await store.put(run, ['file.txt'], body('f'), MB);
    await expect(store.put(run, ['file.txt', 'below.txt'], body('y'), MB)).rejects.toThrow('file.txt is a file; it cannot also be a directory');
  });

  it.each([
    [['..', 'escape.txt'], '".." segments'],
    [['a', '..', '..', 'escape.txt'], '".." segments'],
    [['.', 'x'], '"." segments'],
    [['/etc/passwd'], 'an encoded "/"'],
    [['..\\escape.txt'], 'backslashes'],
    [['a\0b'], 'NUL characters'],
    [['', 'x'], 'empty segments'],
    [['%2e%2e', 'x'], 'percent-encoded twice'],
    [[], 'the path is empty'],
  ])('refuses the path %j on put, get and list (%s)', async (path, reason) => {
    await expect(store.put(run, path, body('x'), MB)).rejects.toThrow(reason);
    await expect(store.get(run, path)).rejects.toThrow(ArtifactPathError);
    if (path.length > 0) await expect(store.list(run, path)).rejects.toThrow(reason);
    expect(readdirSync(base).sort()).toEqual(['artifacts', 'outside']);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('refuses run ids that are not canonical UUIDs', async () => {
    await expect(store.put('..', ['x'], body('x'), MB)).rejects.toThrow('Not a canonical run id');
    await expect(store.list(run.toUpperCase(), [])).rejects.toThrow('Not a canonical run id');
    await expect(store.deleteRun('../outside')).rejects.toThrow('Not a canonical run id');
    expect(existsSync(outside)).toBe(true);
  });

  describe('symbolic links planted in the store are never followed', () => {
    it('a linked directory inside the run: no write through it, no read, no listing', async () => {
      await store.put(run, ['ok.txt'], body('ok'), MB);
      symlinkSync(outside, join(root, run, 'linked'));
      await expect(store.put(run, ['linked', 'planted.txt'], body('x'), MB)).rejects.toThrow('linked is a symbolic link');
      await expect(store.put(run, ['linked', 'deeper', 'planted.txt'], body('x'), MB)).rejects.toThrow('symbolic link');
      await expect(store.get(run, ['linked', 'secret.txt'])).rejects.toThrow('symbolic link');
      await expect(store.list(run, ['linked'])).rejects.toThrow('symbolic link');
      // The listing of the run does not show the link as a directory either.
      expect(await store.list(run, [])).toEqual([{ path: 'ok.txt', isDir: false, size: 2 }]);
      expect(readdirSync(outside)).toEqual(['secret.txt']);
    });

    it('a linked file: a read refuses it, a write replaces the link and never writes through it', async () => {
      symlinkSync(join(outside, 'secret.txt'), join(root, run + '-placeholder'));
      mkdirSync(join(root, run));
      symlinkSync(join(outside, 'secret.txt'), join(root, run, 'secret.txt'));
      await expect(store.get(run, ['secret.txt'])).rejects.toThrow('it is a symbolic link');
      expect(await store.list(run, [])).toEqual([]);
      await store.put(run, ['secret.txt'], body('replaced'), MB);
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
      expect(lstatSync(join(root, run, 'secret.txt')).isSymbolicLink()).toBe(false);
      expect(readFileSync(join(root, run, 'secret.txt'), 'utf8')).toBe('replaced');
    });

    it("a run's whole directory replaced by a link", async () => {
      const other = randomUUID();
      symlinkSync(outside, join(root, other));
      await expect(store.get(other, ['secret.txt'])).rejects.toThrow('the run directory is a symbolic link');
      await expect(store.put(other, ['x.txt'], body('x'), MB)).rejects.toThrow('the run directory is a symbolic link');
      await expect(store.list(other, [])).rejects.toThrow('symbolic link');
      await store.deleteRun(other);
      expect(readdirSync(outside)).toEqual(['secret.txt']);
    });

    it('a FIFO planted in the run does not hang a read', async () => {
      mkdirSync(join(root, run));
      execFileSync('mkfifo', [join(root, run, 'pipe')]);
      expect(await store.get(run, ['pipe'])).toBeNull();
      expect(await store.list(run, [])).toEqual([]);
    });
  });

  it("deletes a run's artifacts and nothing else", async () => {
    const other = randomUUID();
    await store.put(run, ['a', 'b.txt'], body('b'), MB);
    await store.put(other, ['c.txt'], body('c'), MB);
    await store.deleteRun(run);
    expect(await store.list(run, [])).toEqual([]);
    expect(await store.list(other, [])).toEqual([{ path: 'c.txt', isDir: false, size: 1 }]);
    await store.deleteRun(run); // twice is fine
  });

  it('a root given as a symbolic link is resolved once and used', async () => {
    const link = join(base, 'root-link');
    symlinkSync(root, link);
    const linked = await LocalArtifactStore.open(link);
    expect(linked.location).toBe(root);
    await linked.put(run, ['x.txt'], body('x'), MB);
    expect(readFileSync(join(root, run, 'x.txt'), 'utf8')).toBe('x');
  });

  it('streams: a 64 MB upload does not hold the file in memory', async () => {
    const chunk = randomBytes(MB);
    async function* sixtyFour() {
      for (let i = 0; i < 64; i++) yield chunk;
    }
    const before = process.memoryUsage().rss;
    await store.put(run, ['large.bin'], sixtyFour(), 128 * MB);
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * MB);
    const got = await store.get(run, ['large.bin']);
    expect(got?.size).toBe(64 * MB);
    got!.stream.destroy();
  });
});
