import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { ProjectHeaderDocument, type ProjectHeaderQuery } from '@/graphql/generated/graphql';
import { serverQuery } from '../../../apollo-server';
import { ErrorNotice, Loading } from '../../../status-views';
import { RunsTable } from './runs-table';

export const metadata: Metadata = { title: 'Runs' };

export default async function ProjectRunsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  let project: ProjectHeaderQuery['project'] | undefined;
  let failure: unknown;
  try {
    project = (await serverQuery({ query: ProjectHeaderDocument, variables: { id: projectId } })).data?.project;
  } catch (error) {
    failure = error;
  }
  if (!project) {
    return (
      <main className="page">
        <h1>Project</h1>
        <ErrorNotice error={failure ?? new Error('This project does not exist, or belongs to a team you are not in.')} />
        <Link href="/projects">Back to projects</Link>
      </main>
    );
  }
  return (
    <main className="page wide">
      <nav className="crumbs">
        <Link href="/projects">Projects</Link> / <span>{project.team.name}</span>
      </nav>
      <div className="title-row">
        <h1>{project.name}</h1>
        <nav className="tabs" aria-label="Project">
          <span className="active">Runs</span>
          <Link href={`/projects/${project.id}/findings`}>Findings</Link>
        </nav>
      </div>
      {project.description && <p className="muted">{project.description}</p>}
      <Suspense fallback={<Loading what="runs" />}>
        <RunsTable projectId={project.id} />
      </Suspense>
    </main>
  );
}
