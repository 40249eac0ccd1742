'use client';
import { ErrorNotice } from '../status-views';

// Anything a page did not handle itself still ends here, with a way forward.
export default function SignedInError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <main className="page">
      <h1>Something went wrong</h1>
      <ErrorNotice error={error} retry={reset} />
    </main>
  );
}
