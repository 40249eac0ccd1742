'use client';
import { useState } from 'react';
import { revokeToken } from './actions';

/** Revoking cannot be undone (scripts and workers using the token stop at once), so it asks first. */
export function RevokeTokenButton({ id, name, current }: { id: string; name: string; current: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="danger small" onClick={() => setAsking(true)}>
        Revoke
      </button>
    );
  return (
    <form action={revokeToken} className="row small" role="group" aria-label={`Revoke ${name}`}>
      <input type="hidden" name="id" value={id} />
      <span role="alert">
        Revoke “{name}”? Everything using it stops working{current ? ', and you are signed in with it: you will be signed out' : ''}. This cannot be undone.
      </span>
      <button type="submit" className="danger small">
        Yes, revoke
      </button>
      <button type="button" className="secondary small" onClick={() => setAsking(false)} autoFocus>
        Keep it
      </button>
    </form>
  );
}
