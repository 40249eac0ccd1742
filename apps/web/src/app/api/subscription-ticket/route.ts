// Mints a short-lived subscription ticket with the session's token, for the browser's WebSocket to the API.
// The ticket opens subscriptions only, for two minutes, and dies with the session's token.
import { authorizeBrowserRequest, forwardToApi } from '@/lib/api-proxy';

export const dynamic = 'force-dynamic';

const CREATE_TICKET = 'mutation CreateSubscriptionTicket { createSubscriptionTicket { token expiresAt } }';

export async function POST(request: Request): Promise<Response> {
  const authorized = await authorizeBrowserRequest(request);
  if ('refusal' in authorized) return authorized.refusal;
  return forwardToApi(authorized.token, JSON.stringify({ query: CREATE_TICKET }));
}
