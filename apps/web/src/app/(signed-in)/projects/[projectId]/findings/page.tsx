import type { Metadata } from 'next';
import Link from 'next/link';
import { ProjectTabs } from '../project-tabs';
import { FindingsList } from './findings-list';

export const metadata: Metadata = { title: 'Findings' };

export default async function ProjectFindingsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return (
    <main className="page wide">
      <nav className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>Runs</Link>
      </nav>
      <div className="title-row">
        <h1>Findings</h1>
        <ProjectTabs projectId={projectId} active="findings" />
      </div>
      <FindingsList projectId={projectId} />
    </main>
  );
}
