import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from './s3';
import { sha256Hex, signRequest } from './sigv4';
import { ArtifactTooLargeError } from './store';

/**
 * Nothing S3-like runs on this machine: these tests run the store against a small in-test fake of the S3 API
 * (path-style PutObject, GetObject, DeleteObject, ListObjectsV2 with delimiter and pages, multipart uploads) that
 * checks every request's SigV4 signature and payload hash. The signer itself is checked against AWS's published
 * examples in sigv4.test.ts. Not tested against a real S3, MinIO or R2.
 */

const CREDENTIALS = { accessKeyId: 'TESTKEY', secretAccessKey: 'test/secret+key' };
const MB = 1024 * 1024;

interface Fake {
  objects: Map<string, Buffer>;
  uploads: Map<string, Map<number, Buffer>>;
  requests: string[];
  failures: string[];
}

function startFake(fake: Fake): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const query = Object.fromEntries(
      rawQuery
        .split('&')
        .filter(Boolean)
        .map((pair) => pair.split('=').map(decodeURIComponent) as [string, string?])
        .map(([k, v]) => [k, v ?? '']),
    );
    fake.requests.push(`${req.method} ${rawPath}${rawQuery ? `?${rawQuery}` : ''}`);
    const problem = signatureProblem(req, rawPath, query, body);
    if (problem) {
      fake.failures.push(problem);
      res.writeHead(403).end(`<Error><Code>SignatureDoesNotMatch</Code><Message>${problem}</Message></Error>`);
      return;
    }
    const [, bucket, ...keyParts] = rawPath.split('/').map(decodeURIComponent);
    if (bucket !== 'artifacts-bucket') return void res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>');
    const key = keyParts.join('/');
    if (req.method === 'GET' && key === '' && query['list-type'] === '2') return void res.end(listing(fake, query));
    if (req.method === 'POST' && 'uploads' in query) {
      const id = randomUUID();
      fake.uploads.set(id, new Map());
      return void res.end(`<InitiateMultipartUploadResult><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (req.method === 'PUT' && query.uploadId) {
      fake.uploads.get(query.uploadId)!.set(Number(query.partNumber), body);
      return void res.writeHead(200, { etag: `"part-${query.partNumber}"` }).end();
    }
    if (req.method === 'POST' && query.uploadId) {
      const parts = fake.uploads.get(query.uploadId)!;
      const numbers = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
      fake.objects.set(key, Buffer.concat(numbers.map((n) => parts.get(n)!)));
      fake.uploads.delete(query.uploadId);
      return void res.end('<CompleteMultipartUploadResult/>');
    }
    if (req.method === 'DELETE' && query.uploadId) {
      fake.uploads.delete(query.uploadId);
      return void res.writeHead(204).end();
    }
    if (req.method === 'PUT') {
      fake.objects.set(key, body);
      return void res.writeHead(200, { etag: '"x"' }).end();
    }
    if (req.method === 'GET') {
      const object = fake.objects.get(key);
      if (!object) return void res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
      return void res.writeHead(200, { 'content-length': object.length }).end(object);
    }
    if (req.method === 'DELETE') {
      fake.objects.delete(key);
      return void res.writeHead(204).end();
    }
    res.writeHead(400).end('<Error><Code>NotImplemented</Code></Error>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Re-signs what arrived (path and query as received) and compares: a mismatch is what S3 answers 403 to. */
function signatureProblem(req: IncomingMessage, rawPath: string, query: Record<string, string>, body: Buffer): string | null {
  const authorization = req.headers.authorization ?? '';
  const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const payloadSha256 = String(req.headers['x-amz-content-sha256']);
  if (payloadSha256 !== sha256Hex(body)) return 'payload hash does not match the body';
  const amzDate = String(req.headers['x-amz-date']);
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const extra = Object.fromEntries(
    signed.filter((name) => !['host', 'x-amz-date', 'x-amz-content-sha256'].includes(name)).map((name) => [name, String(req.headers[name])]),
  );
  const expected = signRequest(
    { method: req.method!, host: req.headers.host!, path: rawPath, query, headers: extra, payloadSha256, region: 'eu-test-1', date },
    CREDENTIALS,
  );
  return expected.authorization === authorization ? null : `signature mismatch for ${req.method} ${rawPath}`;
}

/** ListObjectsV2, two keys or prefixes per page so that paging is exercised. */
function listing(fake: Fake, query: Record<string, string>): string {
  const prefix = query.prefix ?? '';
  const items = new Set<string>();
  for (const key of [...fake.objects.keys()].sort()) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const cut = query.delimiter ? rest.indexOf(query.delimiter) : -1;
    items.add(cut >= 0 ? `P${prefix}${rest.slice(0, cut + 1)}` : `K${key}`);
  }
  const all = [...items];
  const start = Number(query['continuation-token'] ?? 0);
  const page = all.slice(start, start + 2);
  const more = start + 2 < all.length;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return (
    `<ListBucketResult><IsTruncated>${more}</IsTruncated>${more ? `<NextContinuationToken>${start + 2}</NextContinuationToken>` : ''}` +
    page
      .map((item) =>
        item[0] === 'P'
          ? `<CommonPrefixes><Prefix>${esc(item.slice(1))}</Prefix></CommonPrefixes>`
          : `<Contents><Key>${esc(item.slice(1))}</Key><Size>${fake.objects.get(item.slice(1))!.length}</Size></Contents>`,
      )
      .join('') +
    '</ListBucketResult>'
  );
}

const body = (...chunks: Buffer[]) => Readable.from(chunks);
async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('S3ArtifactStore (against an in-test fake S3)', () => {
  const fake: Fake = { objects: new Map(), uploads: new Map(), requests: [], failures: [] };
  let server: Server;
  let store: S3ArtifactStore;
  const run = randomUUID();

  beforeAll(async () => {
    server = await startFake(fake);
    const { port } = server.address() as AddressInfo;
    store = new S3ArtifactStore({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'artifacts-bucket',
      region: 'eu-test-1',
      prefix: 'tb/',
      partBytes: 5 * MB,
      ...CREDENTIALS,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
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
    const { port } = server.address() as AddressInfo;
    const wrong = new S3ArtifactStore({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'artifacts-bucket',
      region: 'eu-test-1',
      accessKeyId: 'TESTKEY',
      secretAccessKey: 'wrong',
    });
    await expect(wrong.list(run, [])).rejects.toThrow('S3 GET (bucket) failed with 403: SignatureDoesNotMatch');
    fake.failures.length = 0;
  });
});
