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
      <button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create project'}
      </button>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
    </form>
  );
}
