import type { Metadata } from 'next';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next = '/projects' } = await searchParams;
  return (
    <main className="page narrow">
      <h1>Sign in to Tuneboard</h1>
      <p className="muted">
        Use an API token: <code>npm start</code> prints the owner&apos;s and saves it to{' '}
        <code>.tuneboard/admin-token.json</code>. Password sign-in comes later.
      </p>
      <SignInForm next={next} />
    </main>
  );
}
