import type { Metadata } from 'next';
import Link from 'next/link';
import { readWebEnv } from '@/env';
import { LatestRunOfProjectDocument, ProjectSchemaDocument, type ProjectSchemaQuery } from '@/graphql/generated/graphql';
import { isOpenSchema } from '@/lib/project-schema';
import { serverQuery } from '../../../../apollo-server';
import { LogFirstRun } from './log-first-run';
import { RunFormPage } from './run-form';

export const metadata: Metadata = { title: 'Submit a run' };

/** `?from=<run id>` starts from that run; `?from=defaults` from the defaults; without it, from the project's latest run. */
export default async function SubmitRunPage({ params, searchParams }: { params: Promise<{ projectId: string }>; searchParams: Promise<{ from?: string }> }) {
  const [{ projectId }, { from }] = await Promise.all([params, searchParams]);
  // The next run is usually a variation of the last one: start there rather than from the defaults.
  const latestRunId = from
    ? undefined
    : await serverQuery({ query: LatestRunOfProjectDocument, variables: { projectId } }).then(
        (result) => result.data?.runs.nodes[0]?.id,
        () => undefined,
      );
  // Projects with a declared or inferred schema are trained by the team's own scripts: no form, how to log instead.
  // If the schema cannot be read here, the form's own query reports the error.
  let project: ProjectSchemaQuery['project'] | undefined;
  try {
    project = (await serverQuery({ query: ProjectSchemaDocument, variables: { id: projectId } })).data?.project;
  } catch {
    project = undefined;
  }
  const openProject = project && isOpenSchema(project.hparamSchema.kind) ? project : undefined;
  const title = openProject ? (openProject.runCount === 0 ? 'Log your first run' : 'Log a run') : 'Submit a run';
  return (
    <main className="page wide">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>{project?.name ?? 'Runs'}</Link>
      </nav>
      <h1>{title}</h1>
      {openProject ? (
        <LogFirstRun project={openProject} apiUrl={readWebEnv().apiUrl} />
      ) : (
        <RunFormPage projectId={projectId} startFrom={from === 'defaults' ? undefined : (from ?? latestRunId)} latest={!from && latestRunId !== undefined} />
      )}
    </main>
  );
}
