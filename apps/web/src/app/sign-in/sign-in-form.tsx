'use client';
import { useActionState } from 'react';
import { signIn, type SignInState } from './actions';

export function SignInForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, {});
  return (
    <form action={action} className="stack">
      <label className="field">
        <span>API token</span>
        <input name="token" type="password" autoComplete="off" placeholder="tb_…" required autoFocus />
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
