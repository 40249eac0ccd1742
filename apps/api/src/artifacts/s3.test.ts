import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from './s3';
import { ArtifactTooLargeError } from './store';
import { BUCKET, REGION, startFakeS3, type Fake } from './test/fake-s3';

/**
 * Nothing S3-like runs on this machine: these tests run the store against the in-test fake of test/fake-s3.ts, which
 * checks every request's SigV4 signature and payload hash. The signer itself is checked against AWS's published
 * examples in sigv4.test.ts. Not tested against a real S3, MinIO or R2. store-contract.test.ts runs the behaviour
 * both stores share.
 */

const MB = 1024 * 1024;

const body = (...chunks: Buffer[]) => Readable.from(chunks);
async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('S3ArtifactStore (against an in-test fake S3)', () => {
  let fake: Fake;
  let store: S3ArtifactStore;
  let endpoint: string;
  let close: () => Promise<void>;
  const run = randomUUID();

  beforeAll(async () => {
    ({ fake, store, endpoint, close } = await startFakeS3());
  });
  afterAll(() => close());
  beforeEach(() => {
    fake.objects.clear();
    fake.requests.length = 0;
    expect(fake.failures).toEqual([]);
  });

  it('puts a small file in one request and reads it back; keys are prefixed and percent-encoded once', async () => {
    expect(await store.put(run, ['plots', 'loss curve (v2).png'], body(Buffer.from('png bytes')), MB)).toEqual({ size: 9 });
    expect([...fake.objects.keys()]).toEqual([`tb/${run}/plots/loss curve (v2).png`]);
    expect(fake.requests).toEqual([`PUT /artifacts-bucket/tb/${run}/plots/loss%20curve%20%28v2%29.png`]);
    const got = await store.get(run, ['plots', 'loss curve (v2).png']);
    expect(got?.size).toBe(9);
    expect((await read(got!.stream)).toString()).toBe('png bytes');
    expect(await store.get(run, ['plots', 'missing.png'])).toBeNull();
    expect(await store.get(run, ['plots'])).toBeNull();
    expect(fake.failures).toEqual([]);
  });

  it('streams a large file as a multipart upload, one part in memory at a time, byte-exact', async () => {
    const bytes = randomBytes(12 * MB + 5);
    const chunks = Array.from({ length: Math.ceil(bytes.length / (256 * 1024)) }, (_, i) => bytes.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
    expect(await store.put(run, ['model', 'weights.bin'], body(...chunks), 64 * MB)).toEqual({ size: bytes.length });
    expect(fake.requests.filter((r) => r.includes('partNumber='))).toHaveLength(3);
    expect(fake.objects.get(`tb/${run}/model/weights.bin`)!.equals(bytes)).toBe(true);
    expect(fake.uploads.size).toBe(0);
    expect((await read((await store.get(run, ['model', 'weights.bin']))!.stream)).equals(bytes)).toBe(true);
    expect(fake.failures).toEqual([]);
  });

  it('refuses past the limit and aborts the multipart upload: nothing is stored', async () => {
    await expect(store.put(run, ['big.bin'], body(randomBytes(6 * MB), randomBytes(6 * MB)), 10 * MB)).rejects.toThrow(ArtifactTooLargeError);
    await expect(store.put(run, ['small-limit.bin'], body(randomBytes(2 * MB)), MB)).rejects.toThrow('larger than the limit of 1 MB');
    expect(fake.objects.size).toBe(0);
    expect(fake.uploads.size).toBe(0);
    expect(fake.requests.some((r) => r.startsWith('DELETE') && r.includes('uploadId='))).toBe(true);
  });

  it('lists one level (folders from common prefixes) across pages, sorted, and deletes a run', async () => {
    for (const path of [['a.txt'], ['b.txt'], ['model', 'MLmodel'], ['model', 'data', 'w.bin'], ['z', 'y.txt']])
      await store.put(run, path, body(Buffer.from('1234')), MB);
    const other = randomUUID();
    await store.put(other, ['keep.txt'], body(Buffer.from('k')), MB);
    expect(await store.list(run, [])).toEqual([
      { path: 'a.txt', isDir: false, size: 4 },
      { path: 'b.txt', isDir: false, size: 4 },
      { path: 'model', isDir: true, size: null },
      { path: 'z', isDir: true, size: null },
    ]);
    expect(await store.list(run, ['model'])).toEqual([
      { path: 'model/MLmodel', isDir: false, size: 4 },
      { path: 'model/data', isDir: true, size: null },
    ]);
    expect(await store.list(run, ['nowhere'])).toEqual([]);
    await store.deleteRun(run);
    expect(await store.list(run, [])).toEqual([]);
    expect([...fake.objects.keys()]).toEqual([`tb/${other}/keep.txt`]);
    expect(fake.failures).toEqual([]);
  });

  it('checks paths and run ids before any request', async () => {
    await expect(store.put(run, ['..', 'x'], body(Buffer.from('x')), MB)).rejects.toThrow('".." segments are not allowed');
    await expect(store.get(run, ['a\\b'])).rejects.toThrow('backslashes');
    await expect(store.list('../other', [])).rejects.toThrow('Not a canonical run id');
    expect(fake.requests).toEqual([]);
  });

  it('reports what S3 refused (a wrong secret: SignatureDoesNotMatch)', async () => {
    const wrong = new S3ArtifactStore({
      endpoint,
      bucket: BUCKET,
      region: REGION,
      accessKeyId: 'TESTKEY',
      secretAccessKey: 'wrong',
    });
    await expect(wrong.list(run, [])).rejects.toThrow('S3 GET (bucket) failed with 403: SignatureDoesNotMatch');
    fake.failures.length = 0;
  });
});
