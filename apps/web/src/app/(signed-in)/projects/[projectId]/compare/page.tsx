import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { Loading } from '../../../../status-views';
import { CompareView } from './compare-view';

export const metadata: Metadata = { title: 'Compare runs' };

export default async function ComparePage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return (
    <main className="page wide">
      <nav className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>Runs</Link>
      </nav>
      <h1>Compare runs</h1>
      <Suspense fallback={<Loading what="the comparison" />}>
        <CompareView projectId={projectId} />
      </Suspense>
    </main>
  );
}
