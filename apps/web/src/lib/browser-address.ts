// Server side only: the browser's address, passed to the API so its per-address limits count each browser
// rather than this server (the API believes it only from proxies it trusts: TUNEBOARD_TRUSTED_PROXIES).
import { headers } from 'next/headers';

/**
 * The `x-forwarded-for` header to send the API: the nearest hop of the request's own (Next sets it from the
 * socket when the request has none; a reverse proxy in front appends what it saw), or nothing.
 */
export async function forwardedForHeader(): Promise<Record<string, string>> {
  const hops = ((await headers()).get('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  const nearest = hops.at(-1);
  return nearest ? { 'x-forwarded-for': nearest } : {};
}
