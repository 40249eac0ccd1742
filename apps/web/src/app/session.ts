// Server side only: the session is the API token, kept in an http-only cookie so it survives reloads. It never
// reaches the browser's JavaScript: client components call the API through /api/graphql (which adds the token
// here, on the server) and open subscriptions with short-lived tickets from /api/subscription-ticket.
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { readWebEnv } from '@/env';

export const SESSION_COOKIE = 'tuneboard_session';
/** 30 days: a token is revoked on the tokens page, not by the cookie expiring. */
export const SESSION_MAX_AGE_SECONDS = 60 * 60 * 24 * 30;

export async function sessionToken(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value || undefined;
}

/** The token, or a redirect to the sign-in page. */
export async function requireSessionToken(): Promise<string> {
  const token = await sessionToken();
  if (!token) redirect('/sign-in');
  return token;
}

export async function keepSession(token: string): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, token, {
    httpOnly: true,
    // Lax: sent on top-level navigations from other sites (links to the dashboard work), never on their
    // fetches or form posts; /api/* also checks the request's origin.
    sameSite: 'lax',
    secure: await servedOverHttps(),
    path: '/',
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
}

export async function endSession(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
}

/** Behind a TLS-terminating proxy (x-forwarded-proto: https) or with an https public URL configured. */
async function servedOverHttps(): Promise<boolean> {
  if (readWebEnv().publicUrl?.protocol === 'https:') return true;
  const forwarded = (await headers()).get('x-forwarded-proto');
  return forwarded?.split(',')[0]?.trim().toLowerCase() === 'https';
}
