import type { Metadata } from 'next';
import Link from 'next/link';
import { RunFormPage } from './run-form';

export const metadata: Metadata = { title: 'Submit a run' };

export default async function SubmitRunPage({ params, searchParams }: { params: Promise<{ projectId: string }>; searchParams: Promise<{ from?: string }> }) {
  const [{ projectId }, { from }] = await Promise.all([params, searchParams]);
  return (
    <main className="page wide">
      <nav className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>Runs</Link>
      </nav>
      <h1>Submit a run</h1>
      <RunFormPage projectId={projectId} duplicateOf={from} />
    </main>
  );
}
