import { describe, expect, it } from 'vitest';
import { checkSameOrigin, isJsonRequest } from './same-origin';

const request = (headers: Record<string, string>, url = 'http://127.0.0.1:3000/api/graphql') => ({ headers: new Headers(headers), url });

describe('checkSameOrigin', () => {
  it('#6 accepts the dashboard’s own pages and requests from outside a browser page', () => {
    expect(checkSameOrigin(request({ origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin', host: '127.0.0.1:3000' })).ok).toBe(true);
    expect(checkSameOrigin(request({})).ok).toBe(true);
    // Behind a proxy: the browser's origin is the public host, which the proxy forwards or the setting names.
    expect(checkSameOrigin(request({ origin: 'https://tb.example', 'x-forwarded-host': 'tb.example' })).ok).toBe(true);
    expect(checkSameOrigin(request({ origin: 'https://tb.example' }), new URL('https://tb.example/')).ok).toBe(true);
  });

  it('#6 refuses other sites, by Sec-Fetch-Site or by Origin', () => {
    expect(checkSameOrigin(request({ 'sec-fetch-site': 'cross-site' })).ok).toBe(false);
    expect(checkSameOrigin(request({ 'sec-fetch-site': 'same-site' })).ok).toBe(false);
    expect(checkSameOrigin(request({ origin: 'http://evil.example' })).ok).toBe(false);
    expect(checkSameOrigin(request({ origin: 'null' })).ok).toBe(false);
    expect(checkSameOrigin(request({ origin: 'http://127.0.0.1:3001' })).ok).toBe(false);
  });

  it('#6 takes only JSON bodies', () => {
    expect(isJsonRequest(new Headers({ 'content-type': 'application/json; charset=utf-8' }))).toBe(true);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''])
      expect(isJsonRequest(new Headers(type ? { 'content-type': type } : {}))).toBe(false);
  });
});
