'use server';
import { redirect } from 'next/navigation';
import { CreateProjectDocument } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { getClient } from '../../apollo-server';

export interface CreateProjectState {
  error?: string;
}

export async function createProject(_previous: CreateProjectState, form: FormData): Promise<CreateProjectState> {
  const teamId = String(form.get('teamId') ?? '');
  const name = String(form.get('name') ?? '').trim();
  const description = String(form.get('description') ?? '').trim();
  if (!name) return { error: 'A project needs a name.' };
  let projectId: string;
  try {
    const client = await getClient();
    const { data } = await client.mutate({ mutation: CreateProjectDocument, variables: { teamId, name, description } });
    if (!data) return { error: 'The API returned no project.' };
    projectId = data.createProject.id;
  } catch (error) {
    return { error: summarizeApiError(error).message };
  }
  redirect(`/projects/${projectId}`);
}
