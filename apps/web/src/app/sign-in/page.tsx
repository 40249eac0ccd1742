import type { Metadata } from 'next';
import { safeNextPath } from '@/lib/safe-next-path';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  // Checked here too, so the form never carries a path the action would refuse.
  const next = safeNextPath((await searchParams).next);
  return (
    <main className="page narrow">
      <h1>Sign in to Tuneboard</h1>
      <p className="muted">
        Use an API token. On its first start <code>npm start</code> prints the owner&apos;s and saves it to <code>admin-token.json</code> beside its data
        directory (<code>.tuneboard/admin-token.json</code> unless <code>TUNEBOARD_DATA_DIR</code> says otherwise). Password sign-in comes later.
      </p>
      <SignInForm next={next} />
    </main>
  );
}
