// A run's artifact as a download: the session cookie in, the API's file out (streamed, never buffered here), so the
// long-lived token stays on this server. The API checks the run's team and the path's confinement; this route only
// re-encodes the path's segments exactly once.
import { apiUnreachableMessage, readWebEnv } from '@/env';
import { sessionToken } from '@/app/session';
import { forwardedForHeader } from '@/lib/browser-address';
import { checkSameOrigin } from '@/lib/same-origin';

export const dynamic = 'force-dynamic';

const PASSED_HEADERS = ['content-type', 'content-length', 'content-disposition', 'x-content-type-options', 'retry-after'];

export async function GET(request: Request, { params }: { params: Promise<{ runId: string; path: string[] }> }): Promise<Response> {
  const origin = checkSameOrigin(request, readWebEnv().publicUrl);
  if (!origin.ok) return failure(403, `Only the dashboard's own pages may download artifacts (${origin.reason})`);
  const token = await sessionToken();
  if (!token) return failure(401, 'Not signed in');
  const { runId, path } = await params;
  const target = new URL(`/api/runs/${encodeURIComponent(runId)}/artifacts/${path.map(encodeURIComponent).join('/')}`, readWebEnv().apiUrl);
  let upstream: Response;
  try {
    upstream = await fetch(target, { headers: { authorization: `Bearer ${token}`, ...(await forwardedForHeader()) }, cache: 'no-store' });
  } catch {
    return failure(502, apiUnreachableMessage(target.origin));
  }
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}

function failure(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
}
