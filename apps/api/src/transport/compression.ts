import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/**
 * Compressing JSON answers for clients that accept it: a compare page's metric series or an MLflow history page
 * shrinks several times. Done on libuv's thread pool (async zlib), so a large body never stalls the event loop.
 * Brotli at quality 4 compresses about as fast as gzip's default and smaller; small bodies go as they are.
 */

/** Below this many bytes the headers and the work cost more than they save. */
export const COMPRESS_MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

type Encoding = 'br' | 'gzip';

/** The encoding to answer with, from Accept-Encoding (q=0 refuses one); null for none. */
export function chooseEncoding(acceptEncoding: string | string[] | undefined): Encoding | null {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? '');
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name, q ? Number(q.slice(2)) : 1);
  }
  const weight = (name: Encoding) => accepted.get(name) ?? (accepted.has('*') ? accepted.get('*')! : 0);
  const best = (['br', 'gzip'] as const).filter((name) => weight(name) > 0).sort((a, b) => weight(b) - weight(a))[0];
  return best ?? null;
}

/** Ends `res` with `body`, compressed when the client accepts it and it is worth it. Headers already set are kept. */
export async function endCompressed(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  const bytes = Buffer.from(body, 'utf8');
  const encoding = bytes.length >= COMPRESS_MIN_BYTES ? chooseEncoding(req.headers['accept-encoding']) : null;
  res.setHeader('vary', 'accept-encoding');
  if (!encoding) {
    res.end(bytes);
    return;
  }
  const compressed =
    encoding === 'br'
      ? await brotli(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
      : await gzipAsync(bytes);
  res.setHeader('content-encoding', encoding);
  res.removeHeader('content-length');
  res.end(compressed);
}
