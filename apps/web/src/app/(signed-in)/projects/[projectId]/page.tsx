import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { ProjectHeaderDocument, type ProjectHeaderQuery } from '@/graphql/generated/graphql';
import { isOpenSchema } from '@/lib/project-schema';
import { serverQuery } from '../../../apollo-server';
import { ErrorNotice, Loading } from '../../../status-views';
import { ProjectTabs } from './project-tabs';
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
  const open = isOpenSchema(project.hparamSchema.kind);
  return (
    <main className="page wide">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/projects">Projects</Link> / <span>{project.team.name}</span>
      </nav>
      <div className="title-row">
        <h1>{project.name}</h1>
        <ProjectTabs projectId={project.id} active="runs" />
      </div>
      {project.description && <p className="muted">{project.description}</p>}
      {open && project.runCount === 0 && (
        <div className="notice first-run" data-testid="first-run-callout">
          <p>
            <strong>Tuneboard does not train this project&apos;s runs</strong>: its schema is {project.hparamSchema.kind.toLowerCase()}, so runs come from your
            own scripts, logged with the <code>tuneboard run</code> command or the SDK.
          </p>
          <Link className="button" href={`/projects/${project.id}/submit`}>
            Log your first run
          </Link>
        </div>
      )}
      <Suspense fallback={<Loading what="runs" />}>
        <RunsTable projectId={project.id} schema={project.hparamSchema} />
      </Suspense>
    </main>
  );
}
