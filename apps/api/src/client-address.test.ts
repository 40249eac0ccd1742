import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, LOOPBACK_PROXIES, trustedProxySet } from './client-address';

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;
const loopback = trustedProxySet(LOOPBACK_PROXIES);

describe('clientAddress', () => {
  it('is the TCP peer when the peer is not a trusted proxy, whatever X-Forwarded-For claims', () => {
    expect(clientAddress(request('203.0.113.7', '198.51.100.1'), loopback)).toBe('203.0.113.7');
  });

  it('is the forwarded client when a trusted proxy (the dashboard on this machine) relays the request', () => {
    expect(clientAddress(request('::ffff:127.0.0.1', '198.51.100.1'), loopback)).toBe('198.51.100.1');
    expect(clientAddress(request('::1', '198.51.100.1'), loopback)).toBe('198.51.100.1');
  });

  it('takes the nearest untrusted hop, so a client cannot choose its address by sending its own header', () => {
    const proxies = trustedProxySet([...LOOPBACK_PROXIES, '10.0.0.5']);
    // The client claimed 1.2.3.4; the edge proxy 10.0.0.5 appended what it saw, 198.51.100.1.
    expect(clientAddress(request('127.0.0.1', '1.2.3.4, 198.51.100.1, 10.0.0.5'), proxies)).toBe('198.51.100.1');
  });

  it('falls back to the peer when the header holds no address', () => {
    expect(clientAddress(request('127.0.0.1', 'garbage, '), loopback)).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1'), loopback)).toBe('127.0.0.1');
  });
});
