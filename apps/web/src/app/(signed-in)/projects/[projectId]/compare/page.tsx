import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '../../../../status-views';
import { CompareView } from './compare-view';
import { ImportancePanel } from '../importance-panel';
import { ProjectCrumbs } from '../project-crumbs';

export const metadata: Metadata = { title: 'Compare runs' };

export default async function ComparePage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return (
    <main className="page wide">
      <ProjectCrumbs projectId={projectId} />
      <h1>Compare runs</h1>
      <Suspense fallback={<Loading what="the comparison" />}>
        <CompareView projectId={projectId} />
      </Suspense>
      <ImportancePanel projectId={projectId} />
    </main>
  );
}
