// Server side only: the session is the API token, kept in an http-only cookie so it survives reloads.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';

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
