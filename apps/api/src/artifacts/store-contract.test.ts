import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local';
import { ArtifactPathError } from './paths';
import { ArtifactTooLargeError, type ArtifactStore } from './store';
import { startFakeS3 } from './test/fake-s3';

/**
 * What every ArtifactStore does, run against each implementation: the local directory and S3 (against the in-test
 * fake of test/fake-s3.ts; nothing S3-like runs here). Implementation-specific behaviour (symbolic links, atomic
 * rename, multipart parts) is tested in local.test.ts and s3.test.ts.
 */

const MB = 1024 * 1024;
const body = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const implementations: [string, () => Promise<{ store: ArtifactStore; close(): Promise<void> }>][] = [
  [
    'local directory',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tuneboard-contract-'));
      return { store: await LocalArtifactStore.open(dir), close: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  ['S3 (in-test fake)', () => startFakeS3(5 * MB)],
];

for (const [name, open] of implementations) {
  describe(`ArtifactStore contract: ${name}`, () => {
    let store: ArtifactStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(() => close());

    it('stores files in nested folders, lists one level sorted, reads them back byte-exact', async () => {
      const run = randomUUID();
      const weights = randomBytes(11 * MB + 3);
      expect(await store.put(run, ['model', 'data', 'weights.bin'], body(weights.subarray(0, 4 * MB), weights.subarray(4 * MB)), 64 * MB)).toEqual({
        size: weights.length,
      });
      await store.put(run, ['model', 'MLmodel'], body('flavors: {}\n'), MB);
      await store.put(run, ['b.txt'], body('b'), MB);
      await store.put(run, ['a b.txt'], body(), MB);
      expect(await store.list(run, [])).toEqual([
        { path: 'a b.txt', isDir: false, size: 0 },
        { path: 'b.txt', isDir: false, size: 1 },
        { path: 'model', isDir: true, size: null },
      ]);
      expect(await store.list(run, ['model'])).toEqual([
        { path: 'model/MLmodel', isDir: false, size: 12 },
        { path: 'model/data', isDir: true, size: null },
      ]);
      const got = await store.get(run, ['model', 'data', 'weights.bin']);
      expect(got?.size).toBe(weights.length);
      expect((await read(got!.stream)).equals(weights)).toBe(true);
      expect((await read((await store.get(run, ['a b.txt']))!.stream)).length).toBe(0);
    });

    it('answers null / no entries for what is not there, a folder read as a file, a file listed as a folder', async () => {
      const run = randomUUID();
      await store.put(run, ['dir', 'f.txt'], body('f'), MB);
      expect(await store.get(run, ['missing.txt'])).toBeNull();
      expect(await store.get(run, ['dir'])).toBeNull();
      expect(await store.get(randomUUID(), ['dir', 'f.txt'])).toBeNull();
      expect(await store.list(run, ['dir', 'f.txt'])).toEqual([]);
      expect(await store.list(run, ['nowhere'])).toEqual([]);
      expect(await store.list(randomUUID(), [])).toEqual([]);
    });

    it('overwrites a file', async () => {
      const run = randomUUID();
      await store.put(run, ['notes.txt'], body('first, longer'), MB);
      await store.put(run, ['notes.txt'], body('second'), MB);
      const got = await store.get(run, ['notes.txt']);
      expect(got?.size).toBe(6);
      expect((await read(got!.stream)).toString()).toBe('second');
    });

    it('refuses past the limit (small and multi-part bodies) and keeps nothing, nor loses the file it would replace', async () => {
      const run = randomUUID();
      await store.put(run, ['big.bin'], body('previous'), MB);
      await expect(store.put(run, ['big.bin'], body(randomBytes(6 * MB), randomBytes(6 * MB)), 10 * MB)).rejects.toThrow(ArtifactTooLargeError);
      await expect(store.put(run, ['new.bin'], body(randomBytes(MB + 1)), MB)).rejects.toThrow(ArtifactTooLargeError);
      expect(await store.list(run, [])).toEqual([{ path: 'big.bin', isDir: false, size: 8 }]);
      expect((await store.put(run, ['exact.bin'], body(randomBytes(MB)), MB)).size).toBe(MB);
    });

    it('keeps nothing of a body that fails half-way', async () => {
      const run = randomUUID();
      async function* broken() {
        yield randomBytes(6 * MB);
        throw new Error('connection reset');
      }
      await expect(store.put(run, ['cut.bin'], broken(), 64 * MB)).rejects.toThrow('connection reset');
      expect(await store.list(run, [])).toEqual([]);
    });

    it("deletes one run's artifacts and nothing else", async () => {
      const [run, other] = [randomUUID(), randomUUID()];
      await store.put(run, ['a', 'b.txt'], body('b'), MB);
      await store.put(run, ['c.txt'], body('c'), MB);
      await store.put(other, ['keep.txt'], body('k'), MB);
      await store.deleteRun(run);
      expect(await store.list(run, [])).toEqual([]);
      expect(await store.get(run, ['a', 'b.txt'])).toBeNull();
      expect(await store.list(other, [])).toEqual([{ path: 'keep.txt', isDir: false, size: 1 }]);
      await store.deleteRun(run);
    });

    it('refuses unconfined paths and run ids before touching storage', async () => {
      const run = randomUUID();
      for (const path of [['..', 'x'], ['a', '.'], ['a/b'], ['a\\b'], [''], ['%2e%2e'], ['a\0b']]) {
        await expect(store.put(run, path, body('x'), MB)).rejects.toThrow(ArtifactPathError);
        await expect(store.get(run, path)).rejects.toThrow(ArtifactPathError);
        await expect(store.list(run, path)).rejects.toThrow(ArtifactPathError);
      }
      await expect(store.put(run, [], body('x'), MB)).rejects.toThrow('the path is empty');
      await expect(store.list('../x', [])).rejects.toThrow('Not a canonical run id');
      await expect(store.deleteRun(run.toUpperCase())).rejects.toThrow('Not a canonical run id');
    });
  });
}
