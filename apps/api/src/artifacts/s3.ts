import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ArtifactPathError, checkSegments } from './paths';
import { EMPTY_SHA256, sha256Hex, signRequest, uriEncode, type Credentials } from './sigv4';
import { ArtifactTooLargeError, checkRunId, type ArtifactEntry, type ArtifactStore, type StoredArtifact } from './store';

/**
 * Artifacts in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…), path-style addressing
 * (`<endpoint>/<bucket>/<prefix><run id>/<path>`), signed with SigV4 (sigv4.ts). Keys are built from checked
 * segments only, so no key holds `..`, a backslash or an empty segment. Uploads stream: a body is sent in parts of
 * `partBytes` (one PUT when it fits in one part, a multipart upload otherwise), so memory holds one part, never the
 * file; an object appears only when complete (S3 writes are atomic), and an upload past the limit is aborted.
 * S3 has no directories: listing uses the "/" delimiter, and a file and a folder of the same name can coexist.
 */

export interface S3Settings extends Credentials {
  /** e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000 */
  endpoint: string;
  bucket: string;
  region: string;
  /** Prepended to every key (e.g. "tuneboard/"). */
  prefix?: string;
  /** Bytes per uploaded part (S3's minimum is 5 MB for all parts but the last); default 8 MB. */
  partBytes?: number;
}

const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

class S3Error extends Error {
  constructor(
    readonly status: number,
    what: string,
    body: string,
  ) {
    super(`S3 ${what} failed with ${status}: ${/<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? body.slice(0, 200)}`);
    this.name = 'S3Error';
  }
}

export class S3ArtifactStore implements ArtifactStore {
  readonly location: string;
  private readonly endpoint: URL;
  private readonly prefix: string;
  private readonly partBytes: number;

  constructor(
    private readonly settings: S3Settings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.endpoint = new URL(settings.endpoint);
    this.prefix = settings.prefix ?? '';
    this.partBytes = settings.partBytes ?? DEFAULT_PART_BYTES;
    this.location = `s3://${settings.bucket}/${this.prefix} at ${this.endpoint.origin}`;
  }

  async put(runId: string, path: readonly string[], body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ size: number }> {
    const key = this.fileKey(runId, path);
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | null = null;
    const etags: string[] = [];
    const sendPart = async (part: Buffer) => {
      uploadId ??= await this.createMultipartUpload(key);
      const response = await this.send('PUT', key, { query: { partNumber: String(etags.length + 1), uploadId }, body: part });
      etags.push(response.headers.get('etag') ?? '');
    };
    try {
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        pendingBytes += chunk.byteLength;
        while (pendingBytes >= this.partBytes) {
          const all = Buffer.concat(pending);
          await sendPart(all.subarray(0, this.partBytes));
          pending = [all.subarray(this.partBytes)];
          pendingBytes = pending[0]!.length;
        }
      }
      const rest = Buffer.concat(pending);
      if (uploadId === null) {
        await this.send('PUT', key, { body: rest });
        return { size };
      }
      if (rest.length > 0) await sendPart(rest);
      const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('');
      await this.send('POST', key, { query: { uploadId }, body: Buffer.from(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`) });
      return { size };
    } catch (error) {
      // Nothing of a refused or failed upload is kept.
      if (uploadId !== null) await this.send('DELETE', key, { query: { uploadId } }).catch(() => undefined);
      throw error;
    }
  }

  async get(runId: string, path: readonly string[]): Promise<StoredArtifact | null> {
    const key = this.fileKey(runId, path);
    const response = await this.send('GET', key, { allow404: true });
    if (response.status === 404 || !response.body) return null;
    return { size: Number(response.headers.get('content-length')), stream: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) };
  }

  async list(runId: string, path: readonly string[]): Promise<ArtifactEntry[]> {
    checkRunId(runId);
    checkSegments(path);
    const runPrefix = `${this.prefix}${runId}/`;
    const listed = await this.listKeys(`${runPrefix}${path.map((segment) => `${segment}/`).join('')}`, true);
    const entries: ArtifactEntry[] = [
      ...listed.folders.map((folder) => ({ path: folder.slice(runPrefix.length, -1), isDir: true, size: null })),
      ...listed.files.map((file) => ({ path: file.key.slice(runPrefix.length), isDir: false, size: file.size })),
    ];
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async deleteRun(runId: string): Promise<void> {
    checkRunId(runId);
    const { files } = await this.listKeys(`${this.prefix}${runId}/`, false);
    for (const file of files) await this.send('DELETE', file.key, { allow404: true });
  }

  private fileKey(runId: string, path: readonly string[]): string {
    checkRunId(runId);
    checkSegments(path);
    if (path.length === 0) throw new ArtifactPathError('', 'the path is empty; name a file');
    return `${this.prefix}${runId}/${path.join('/')}`;
  }

  private async createMultipartUpload(key: string): Promise<string> {
    const response = await this.send('POST', key, { query: { uploads: '' } });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await response.text())?.[1];
    if (!uploadId) throw new Error(`S3 did not return an upload id for ${key}`);
    return unescapeXml(uploadId);
  }

  /** ListObjectsV2 under `prefix`, every page; with `delimited`, one level (folders as common prefixes). */
  private async listKeys(prefix: string, delimited: boolean): Promise<{ folders: string[]; files: { key: string; size: number }[] }> {
    const folders: string[] = [];
    const files: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = {
        'list-type': '2',
        prefix,
        ...(delimited ? { delimiter: '/' } : {}),
        ...(token ? { 'continuation-token': token } : {}),
      };
      const xml = await (await this.send('GET', null, { query })).text();
      for (const [, inner] of xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g))
        folders.push(unescapeXml(/<Prefix>([^<]*)<\/Prefix>/.exec(inner!)![1]!));
      for (const [, inner] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g))
        files.push({ key: unescapeXml(/<Key>([^<]*)<\/Key>/.exec(inner!)![1]!), size: Number(/<Size>(\d+)<\/Size>/.exec(inner!)?.[1] ?? 0) });
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
        ? unescapeXml(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
        : undefined;
    } while (token);
    return { folders, files };
  }

  /** One signed request to the bucket (`key` null: the bucket itself). */
  private async send(
    method: string,
    key: string | null,
    options: { query?: Record<string, string>; body?: Buffer; allow404?: boolean } = {},
  ): Promise<Response> {
    const query = options.query ?? {};
    const basePath = this.endpoint.pathname.replace(/\/$/, '');
    const path = `${basePath}/${uriEncode(this.settings.bucket)}${key === null ? '/' : `/${key.split('/').map(uriEncode).join('/')}`}`;
    const payload = options.body ?? null;
    const headers = signRequest(
      {
        method,
        host: this.endpoint.host,
        path,
        query,
        headers: payload ? { 'content-length': String(payload.length) } : {},
        payloadSha256: payload ? sha256Hex(payload) : EMPTY_SHA256,
        region: this.settings.region,
        date: new Date(),
      },
      this.settings,
    );
    delete headers.host; // fetch sets it (the same value)
    const search =
      Object.keys(query).length > 0
        ? `?${Object.entries(query)
            .map(([k, v]) => (v === '' ? uriEncode(k) : `${uriEncode(k)}=${uriEncode(v)}`))
            .join('&')}`
        : '';
    const response = await this.fetchImpl(`${this.endpoint.origin}${path}${search}`, {
      method,
      headers,
      ...(payload ? { body: new Uint8Array(payload) } : {}),
    });
    if (response.ok || (options.allow404 && response.status === 404)) {
      // Only GET and POST answers have a body the store reads; others are released at once.
      if (response.status === 404 || method === 'PUT' || method === 'DELETE') await response.body?.cancel();
      return response;
    }
    throw new S3Error(response.status, `${method} ${key ?? '(bucket)'}`, await response.text());
  }
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unescapeXml = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
