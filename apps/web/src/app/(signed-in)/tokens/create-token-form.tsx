'use client';
import { useActionState } from 'react';
import { createToken, type CreateTokenState } from './actions';

export function CreateTokenForm() {
  const [state, action, pending] = useActionState<CreateTokenState, FormData>(createToken, {});
  return (
    <form action={action} className="inline-form" aria-label="Create a token">
      <input name="name" placeholder="Token name, e.g. laptop" aria-label="Token name" required />
      <button type="submit" disabled={pending}>
        {pending ? 'Creating…' : 'Create token'}
      </button>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      {state.created && (
        <div className="notice success" role="status">
          <p>
            Token <strong>{state.created.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <code className="secret">{state.created.token}</code>
        </div>
      )}
    </form>
  );
}
