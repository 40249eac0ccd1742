// The browser's GraphQL endpoint for queries and mutations: the session cookie in, the API's answer out, so
// the long-lived token stays on this server. Subscriptions go to the API's WebSocket with a ticket instead.
import { authorizeBrowserRequest, forwardToApi } from '@/lib/api-proxy';

export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  const authorized = await authorizeBrowserRequest(request);
  if ('refusal' in authorized) return authorized.refusal;
  return forwardToApi(authorized.token, request.body, request.headers.get('accept') ?? undefined);
}
