import { describe, expect, it } from 'vitest';
import { packSeries } from './client';

const decode = (base64: string, type: 'int32' | 'float64') => {
  const bytes = Buffer.from(base64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = type === 'int32' ? 4 : 8;
  return Array.from({ length: bytes.length / size }, (_, i) => (type === 'int32' ? view.getInt32(i * size, true) : view.getFloat64(i * size, true)));
};

describe('packSeries (the API packed metric input)', () => {
  it('packs steps as little-endian int32 and values as little-endian float64, NaN and ±Infinity included', () => {
    const packed = packSeries({ key: 'loss', steps: [0, 1, 2147483647], values: [0.1, Number.NaN, Number.NEGATIVE_INFINITY], wallTimes: [1, 2, 3] });
    expect(packed.key).toBe('loss');
    expect(decode(packed.steps, 'int32')).toEqual([0, 1, 2147483647]);
    expect(decode(packed.values, 'float64')).toEqual([0.1, Number.NaN, Number.NEGATIVE_INFINITY]);
    expect(decode(packed.wallTimes!, 'float64')).toEqual([1, 2, 3]);
  });

  it('refuses a step the API could not store, before sending', () => {
    expect(() => packSeries({ key: 'loss', steps: [1.5], values: [0] })).toThrow('loss: step 1.5 is not a whole number from 0 to 2147483647');
    // The key rules are the API's own (@tuneboard/hparams), so a bad key fails here, before a request.
    expect(() => packSeries({ key: ' ', steps: [0], values: [0] })).toThrow('The metric key " " must be a non-empty string');
    expect(() => packSeries({ key: 'k'.repeat(201), steps: [0], values: [0] })).toThrow('is 201 characters; the limit is 200');
  });
});

describe('TuneboardClient errors', () => {
  it('treats a rate limit (429 RATE_LIMITED) as retryable, so buffered metrics are sent again later', async () => {
    const { TuneboardClient } = await import('./client');
    const fetch = async () =>
      new Response(JSON.stringify({ errors: [{ message: 'Too many requests with this token; try again in 3 s.', extensions: { code: 'RATE_LIMITED' } }] }), {
        status: 429,
        headers: { 'retry-after': '3' },
      });
    const client = new TuneboardClient({ url: 'http://127.0.0.1:1/graphql', token: 't', fetch: fetch as typeof globalThis.fetch });
    await expect(client.request('{ viewer { email } }')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true });
  });
});
