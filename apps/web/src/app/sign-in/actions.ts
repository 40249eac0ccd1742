'use server';
import { redirect } from 'next/navigation';
import { apiUnreachableMessage, readWebEnv } from '@/env';
import { forwardedForHeader } from '@/lib/browser-address';
import { safeNextPath } from '@/lib/safe-next-path';
import { endSession, keepSession } from '../session';

export interface SignInState {
  error?: string;
}

/** Checks the token against the API before keeping it, so a typo is reported here rather than on every page. */
export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const token = String(form.get('token') ?? '').trim();
  if (!token) return { error: 'Paste an API token (it starts with tb_).' };
  const { apiUrl } = readWebEnv();
  let response: Response;
  try {
    response = await fetch(apiUrl, {
      method: 'POST',
      // Each browser's failed sign-ins count against its own address at the API, not against this server's.
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(await forwardedForHeader()) },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
      cache: 'no-store',
    });
  } catch {
    return { error: apiUnreachableMessage(apiUrl) };
  }
  if (response.status === 401) return { error: `This token is unknown or revoked at ${apiUrl}.` };
  if (!response.ok) return { error: `The API answered ${response.status}. Try again.` };
  await keepSession(token);
  redirect(safeNextPath(String(form.get('next') ?? '')));
}

export async function signOut(): Promise<never> {
  await endSession();
  redirect('/sign-in');
}
