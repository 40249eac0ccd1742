import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address a request comes from, for the per-address limits. The TCP peer, unless the peer is a proxy the
 * operator trusts (by default only this machine: the dashboard's own /api/graphql proxy and a local reverse
 * proxy): then the nearest untrusted address of its X-Forwarded-For. Without this, every dashboard user would
 * share the dashboard server's address, and one of them with a stale cookie could throttle everyone.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = normaliseAddress(req.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.has(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => normaliseAddress(hop.trim()))
    .filter((hop) => isIP(hop) !== 0);
  // Right to left: each trusted proxy appended the address it saw; the first untrusted one is the client.
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.has(hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export const LOOPBACK_PROXIES: readonly string[] = ['127.0.0.1', '::1'];

export function trustedProxySet(addresses: readonly string[]): ReadonlySet<string> {
  return new Set(addresses.map(normaliseAddress));
}
