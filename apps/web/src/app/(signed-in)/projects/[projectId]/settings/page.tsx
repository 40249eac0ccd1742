import type { Metadata } from 'next';
import { ProjectTabs } from '../project-tabs';
import { SchemaSettings } from './schema-settings';
import { ProjectCrumbs } from '../project-crumbs';

export const metadata: Metadata = { title: 'Project settings' };

export default async function ProjectSettingsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return (
    <main className="page wide">
      <ProjectCrumbs projectId={projectId} />
      <div className="title-row">
        <h1>Settings</h1>
        <ProjectTabs projectId={projectId} active="settings" />
      </div>
      <SchemaSettings projectId={projectId} />
    </main>
  );
}
