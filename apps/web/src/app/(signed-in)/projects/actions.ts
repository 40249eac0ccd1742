'use server';
import { redirect } from 'next/navigation';
import { CreateProjectDocument, type HparamSchemaKind } from '@/graphql/generated/graphql';
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
  // A declared schema needs its document, written on the settings page; a new project starts built-in or inferred.
  const kindField = String(form.get('schemaKind') ?? 'BUILTIN');
  if (kindField !== 'BUILTIN' && kindField !== 'INFERRED') return { error: `Unknown schema kind ${JSON.stringify(kindField)}: choose built-in or inferred.` };
  const schemaKind: HparamSchemaKind = kindField;
  let projectId: string;
  try {
    const client = await getClient();
    const { data } = await client.mutate({ mutation: CreateProjectDocument, variables: { teamId, name, description, schemaKind } });
    if (!data) return { error: 'The API returned no project.' };
    projectId = data.createProject.id;
  } catch (error) {
    return { error: summarizeApiError(error).message };
  }
  redirect(`/projects/${projectId}`);
}
