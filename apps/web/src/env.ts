// Server side only. The only module that reads process.env; read per request (not at build time), so one build
// serves any API.
export interface WebEnv {
  /** The API's GraphQL endpoint as the browser and this server reach it. */
  apiUrl: string;
  /** The same endpoint over WebSocket, for subscriptions. */
  apiWsUrl: string;
}

export function readWebEnv(): WebEnv {
  const raw = process.env.TUNEBOARD_API_URL ?? 'http://127.0.0.1:4000/graphql';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Invalid Tuneboard configuration: TUNEBOARD_API_URL must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid Tuneboard configuration: TUNEBOARD_API_URL must be an http(s) URL, got "${raw}"`);
  }
  const ws = new URL(url);
  ws.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return { apiUrl: url.toString(), apiWsUrl: ws.toString() };
}
