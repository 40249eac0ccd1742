import type { Metadata } from 'next';
import Link from 'next/link';
import { ProjectFindingsDocument, ProjectHeaderDocument, RunsTableDocument, type ProjectHeaderQuery } from '@/graphql/generated/graphql';
import { isOpenSchema } from '@/lib/project-schema';
import { serverQuery } from '../../../apollo-server';
import { ErrorNotice } from '../../../status-views';
import { ProjectTabs } from './project-tabs';
import { RunsTable } from './runs-table';
import { parseRunsTableState, runsTableVariables } from './runs-table-state';

export const metadata: Metadata = { title: 'Runs' };

export default async function ProjectRunsPage({
  params,
  searchParams,
}: {
  params: Promise<{ projectId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { projectId } = await params;
  // The table's first page is read here, beside the header, so the HTML arrives with its rows.
  const runsVariables = runsTableVariables(projectId, parseRunsTableState(await searchParams));
  const [header, firstRuns, findings] = await Promise.allSettled([
    serverQuery({ query: ProjectHeaderDocument, variables: { id: projectId } }),
    serverQuery({ query: RunsTableDocument, variables: runsVariables, fetchPolicy: 'no-cache' }),
    serverQuery({ query: ProjectFindingsDocument, variables: { projectId }, fetchPolicy: 'no-cache' }),
  ]);
  const project: ProjectHeaderQuery['project'] | undefined = header.status === 'fulfilled' ? header.value.data?.project : undefined;
  const failure: unknown = header.status === 'rejected' ? header.reason : undefined;
  // A failed read (a filter the API refuses, say) is left to the table's own query, which shows why.
  const seeds = {
    firstPage: { query: RunsTableDocument, variables: runsVariables, data: firstRuns.status === 'fulfilled' ? firstRuns.value.data : undefined },
    findings: { query: ProjectFindingsDocument, variables: { projectId }, data: findings.status === 'fulfilled' ? findings.value.data : undefined },
  };
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
      {/* Not in a Suspense boundary: nothing in it waits, and React reveals a streamed boundary up to 300 ms late. */}
      <RunsTable projectId={project.id} schema={project.hparamSchema} {...seeds} />
    </main>
  );
}
