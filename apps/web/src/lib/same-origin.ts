// The dashboard's /api/* routes act with the session cookie, so only the dashboard's own pages may call them.
// Browsers say where a request comes from (Sec-Fetch-Site, Origin); a request from another site is refused
// even though SameSite=Lax already keeps the cookie off it. A request with neither header is not from a
// browser page, so it cannot be a cross-site forgery (it holds the cookie itself, or nothing).

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkSameOrigin(request: { headers: Headers; url: string }, publicUrl?: URL): OriginVerdict {
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite !== null && fetchSite !== 'same-origin') return { ok: false, reason: `Sec-Fetch-Site is ${fetchSite}` };
  const origin = request.headers.get('origin');
  if (origin === null) return { ok: true };
  const allowed = new Set(ownHosts(request, publicUrl));
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return { ok: false, reason: `Origin ${origin} is not a URL` };
  }
  return allowed.has(host) ? { ok: true } : { ok: false, reason: `Origin ${origin} is not this dashboard` };
}

/** The host the browser used: the configured public URL, the proxy's forwarded host, or the Host header. */
function ownHosts(request: { headers: Headers; url: string }, publicUrl?: URL): string[] {
  const hosts = [new URL(request.url).host];
  const host = request.headers.get('host');
  if (host) hosts.push(host);
  const forwarded = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim();
  if (forwarded) hosts.push(forwarded);
  if (publicUrl) hosts.push(publicUrl.host);
  return hosts;
}

/** JSON only: a cross-site form or a no-CORS fetch cannot send it without a preflight we never grant. */
export function isJsonRequest(headers: Headers): boolean {
  return /^application\/json\b/i.test(headers.get('content-type') ?? '');
}
