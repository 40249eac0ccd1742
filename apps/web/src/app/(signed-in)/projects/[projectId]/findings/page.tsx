import type { Metadata } from 'next';
import { ProjectTabs } from '../project-tabs';
import { FindingsList } from './findings-list';
import { SuggestedFindings } from './suggested-findings';
import { ImportancePanel } from '../importance-panel';
import { ProjectCrumbs } from '../project-crumbs';

export const metadata: Metadata = { title: 'Findings' };

export default async function ProjectFindingsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return (
    <main className="page wide">
      <ProjectCrumbs projectId={projectId} />
      <div className="title-row">
        <h1>Findings</h1>
        <ProjectTabs projectId={projectId} active="findings" />
      </div>
      <FindingsList projectId={projectId} />
      <SuggestedFindings projectId={projectId} />
      <ImportancePanel projectId={projectId} />
    </main>
  );
}
