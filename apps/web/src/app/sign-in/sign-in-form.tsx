'use client';
import { useActionState, useState } from 'react';
import { signIn, type SignInState } from './actions';

export function SignInForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, {});
  // Controlled, so a refused token stays in the field to be corrected (React resets uncontrolled fields after an action).
  const [token, setToken] = useState('');
  return (
    <form action={action} className="stack">
      <label className="field">
        <span>API token</span>
        <input
          name="token"
          type="password"
          autoComplete="off"
          placeholder="tb_…"
          required
          autoFocus
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={state.error ? true : undefined}
        />
      </label>
      <input type="hidden" name="next" value={next} />
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      <button type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
