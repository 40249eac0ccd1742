'use server';
import { revalidatePath } from 'next/cache';
import { CreateTokenDocument, RevokeTokenDocument } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { getClient } from '../../apollo-server';

export interface CreateTokenState {
  /** The secret, shown once. */
  created?: { name: string; token: string };
  error?: string;
}

export async function createToken(_previous: CreateTokenState, form: FormData): Promise<CreateTokenState> {
  const name = String(form.get('name') ?? '').trim();
  if (!name) return { error: 'Name the token after where it will be used, e.g. "laptop" or "ci".' };
  try {
    const { data } = await (await getClient()).mutate({ mutation: CreateTokenDocument, variables: { name } });
    if (!data) return { error: 'The API returned no token.' };
    revalidatePath('/tokens');
    return { created: { name: data.createToken.apiToken.name, token: data.createToken.token } };
  } catch (error) {
    return { error: summarizeApiError(error).message };
  }
}

export async function revokeToken(form: FormData): Promise<void> {
  const id = String(form.get('id') ?? '');
  await (await getClient()).mutate({ mutation: RevokeTokenDocument, variables: { id } });
  revalidatePath('/tokens');
}
