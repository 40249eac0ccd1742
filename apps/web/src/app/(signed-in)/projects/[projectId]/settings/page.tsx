import type { Metadata } from 'next';
import Link from 'next/link';
import { ProjectTabs } from '../project-tabs';
import { SchemaSettings } from './schema-settings';

export const metadata: Metadata = { title: 'Project settings' };

export default async function ProjectSettingsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return (
    <main className="page wide">
      <nav className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>Runs</Link>
      </nav>
      <div className="title-row">
        <h1>Settings</h1>
        <ProjectTabs projectId={projectId} active="settings" />
      </div>
      <SchemaSettings projectId={projectId} />
    </main>
  );
}
