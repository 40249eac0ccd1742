'use client';
import { useActionState } from 'react';
import { createProject, type CreateProjectState } from './actions';

export function CreateProjectForm({ teams }: { teams: { id: string; name: string }[] }) {
  const [state, action, pending] = useActionState<CreateProjectState, FormData>(createProject, {});
  return (
    <form action={action} className="inline-form" aria-label="Create a project">
      <select name="teamId" aria-label="Team" defaultValue={teams[0]?.id}>
        {teams.map((team) => (
          <option key={team.id} value={team.id}>
            {team.name}
          </option>
        ))}
      </select>
      <input name="name" placeholder="Project name" aria-label="Project name" required />
      <input name="description" placeholder="Description (optional)" aria-label="Description" />
      <select name="schemaKind" aria-label="Hyperparameter schema" defaultValue="BUILTIN" aria-describedby="schema-kind-help">
        <option value="BUILTIN">Built-in trainer (Tuneboard trains the runs)</option>
        <option value="INFERRED">Your own scripts, schema inferred from runs</option>
      </select>
      <button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create project'}
      </button>
      <p id="schema-kind-help" className="muted small help">
        Built-in: runs are submitted from a form and trained by Tuneboard&apos;s workers. Inferred: your training scripts log runs with{' '}
        <code>tuneboard run</code> or the SDK, any JSON config, each hyperparameter&apos;s type learned from the runs. To declare a JSON Schema, choose inferred
        and write it in the project&apos;s settings.
      </p>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
    </form>
  );
}
