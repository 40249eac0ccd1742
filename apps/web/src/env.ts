// Server side only. The only module that reads process.env; read per request (not at build time), so one build
// serves any API.
export interface WebEnv {
  /** The API's GraphQL endpoint as this server reaches it (the browser's queries go through /api/graphql). */
  apiUrl: string;
  /** The same endpoint over WebSocket, as the browser reaches it, for subscriptions. */
  apiWsUrl: string;
  /** The dashboard's public URL when set (TUNEBOARD_WEB_URL); an https one makes the session cookie Secure. */
  publicUrl: URL | undefined;
}

export function readWebEnv(): WebEnv {
  const url = httpUrl('TUNEBOARD_API_URL', process.env.TUNEBOARD_API_URL ?? 'http://127.0.0.1:4000/graphql');
  const ws = new URL(url);
  ws.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const publicUrl = process.env.TUNEBOARD_WEB_URL ? httpUrl('TUNEBOARD_WEB_URL', process.env.TUNEBOARD_WEB_URL) : undefined;
  return { apiUrl: url.toString(), apiWsUrl: ws.toString(), publicUrl };
}

/** What the dashboard's server says when it cannot reach the API: which URL it tried, and the setting that chose it. */
export function apiUnreachableMessage(apiUrl: string): string {
  return `The Tuneboard API is not reachable at ${apiUrl} (TUNEBOARD_API_URL). Is it running?`;
}

function httpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Invalid Tuneboard configuration: ${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid Tuneboard configuration: ${name} must be an http(s) URL, got "${raw}"`);
  }
  return url;
}
