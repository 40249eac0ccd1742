import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3ArtifactStore } from '../s3';
import { sha256Hex, signRequest } from '../sigv4';

/**
 * A small in-test fake of the S3 API for the artifact store's tests (nothing S3-like runs on this machine):
 * path-style PutObject, GetObject, DeleteObject, ListObjectsV2 with delimiter and pages of two, multipart uploads;
 * every request's SigV4 signature and payload hash are checked (a mismatch is answered 403 as S3 does).
 */

export const CREDENTIALS = { accessKeyId: 'TESTKEY', secretAccessKey: 'test/secret+key' };
export const BUCKET = 'artifacts-bucket';
export const REGION = 'eu-test-1';

export interface Fake {
  objects: Map<string, Buffer>;
  uploads: Map<string, Map<number, Buffer>>;
  requests: string[];
  failures: string[];
}

export function startFake(fake: Fake): Promise<Server> {
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
    if (bucket !== BUCKET) return void res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>');
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
    { method: req.method!, host: req.headers.host!, path: rawPath, query, headers: extra, payloadSha256, region: REGION, date },
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

/** A fake S3 on a free port and a store using it (`prefix` "tb/", parts of `partBytes`). */
export async function startFakeS3(
  partBytes = 5 * 1024 * 1024,
): Promise<{ fake: Fake; server: Server; store: S3ArtifactStore; endpoint: string; close(): Promise<void> }> {
  const fake: Fake = { objects: new Map(), uploads: new Map(), requests: [], failures: [] };
  const server = await startFake(fake);
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new S3ArtifactStore({ endpoint, bucket: BUCKET, region: REGION, prefix: 'tb/', partBytes, ...CREDENTIALS });
  return { fake, server, store, endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
