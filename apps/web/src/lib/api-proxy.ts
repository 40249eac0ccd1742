// Server side only: what the dashboard's /api/* routes share. They are the browser's way to the API: the
// browser sends its session cookie here, and this server calls the API with the token the cookie holds.
import { apiUnreachableMessage, readWebEnv } from '@/env';
import { forwardedForHeader } from './browser-address';
import { sessionToken } from '@/app/session';
import { checkSameOrigin, isJsonRequest } from './same-origin';

function graphQLError(status: number, message: string, code: string): Response {
  return Response.json({ errors: [{ message, extensions: { code } }] }, { status, headers: { 'cache-control': 'no-store' } });
}

/** The session's token for a same-origin JSON request, or the response refusing it. */
export async function authorizeBrowserRequest(request: Request): Promise<{ token: string } | { refusal: Response }> {
  const origin = checkSameOrigin(request, readWebEnv().publicUrl);
  if (!origin.ok) return { refusal: graphQLError(403, `Only the dashboard's own pages may call this (${origin.reason})`, 'FORBIDDEN') };
  if (!isJsonRequest(request.headers)) return { refusal: graphQLError(415, 'Send Content-Type: application/json', 'BAD_REQUEST') };
  const token = await sessionToken();
  if (!token) return { refusal: graphQLError(401, 'Not signed in', 'UNAUTHENTICATED') };
  return { token };
}

/** POSTs a body to the API as the session's user; the API's status, type and body come back unchanged. */
export async function forwardToApi(token: string, body: BodyInit | null, accept = 'application/json'): Promise<Response> {
  const { apiUrl } = readWebEnv();
  let upstream: Response;
  try {
    upstream = await fetch(apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}`, ...(await forwardedForHeader()) },
      body,
      cache: 'no-store',
      // A streamed request body needs this in Node's fetch.
      ...({ duplex: 'half' } as object),
    });
  } catch {
    return graphQLError(502, apiUnreachableMessage(apiUrl), 'API_UNREACHABLE');
  }
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const name of ['content-type', 'retry-after']) {
    const value = upstream.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}
