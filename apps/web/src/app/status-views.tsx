// The empty, loading and error states every page uses, so a failed request never leaves a blank page.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { summarizeApiError } from '@/lib/api-error';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, retry }: { error: unknown; retry?: () => void }) {
  const summary = summarizeApiError(error);
  return (
    <div className="notice error" role="alert">
      <p>{summary.notFound ? 'Not found, or it belongs to a team you are not in.' : summary.message}</p>
      {summary.unauthenticated && <a href="/sign-in">Sign in again</a>}
      {retry && !summary.unauthenticated && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children, action }: { children: ReactNode; action?: { href: string; label: string } }) {
  return (
    <div className="notice empty">
      <p>{children}</p>
      {action && <Link href={action.href}>{action.label}</Link>}
    </div>
  );
}
