import type { Metadata } from 'next';
import Link from 'next/link';
import { ProjectSchemaDocument, type ProjectSchemaQuery } from '@/graphql/generated/graphql';
import { isOpenSchema } from '@/lib/project-schema';
import { serverQuery } from '../../../../apollo-server';
import { Empty, ErrorNotice } from '../../../../status-views';
import { ProjectTabs } from '../project-tabs';
import { pathFilter, valuesSummary } from './path-filter';

export const metadata: Metadata = { title: 'Hyperparameter schema' };

const KIND_SUMMARY = {
  BUILTIN: "the built-in trainer's configuration",
  DECLARED: 'a declared JSON Schema',
  INFERRED: 'inferred from the runs logged so far',
} as const;

export default async function ProjectSchemaPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  let project: ProjectSchemaQuery['project'] | undefined;
  let failure: unknown;
  try {
    project = (await serverQuery({ query: ProjectSchemaDocument, variables: { id: projectId } })).data?.project;
  } catch (error) {
    failure = error;
  }
  if (!project) {
    return (
      <main className="page">
        <h1>Schema</h1>
        <ErrorNotice error={failure ?? new Error('This project does not exist, or belongs to a team you are not in.')} />
        <Link href="/projects">Back to projects</Link>
      </main>
    );
  }
  const schema = project.hparamSchema;
  const open = isOpenSchema(schema.kind);
  return (
    <main className="page wide">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${project.id}`}>{project.name}</Link>
      </nav>
      <div className="title-row">
        <h1>Schema</h1>
        <ProjectTabs projectId={project.id} active="schema" />
      </div>
      <p>
        {project.name}&apos;s hyperparameters: {KIND_SUMMARY[schema.kind]}
        {schema.kind === 'DECLARED' && schema.version ? ` (version ${schema.version})` : ''}, {schema.paths.length}{' '}
        {schema.paths.length === 1 ? 'path' : 'paths'}. <Link href={`/projects/${project.id}/settings`}>Change it in the settings</Link>.
      </p>
      {schema.paths.length === 0 ? (
        <Empty action={open ? { href: `/projects/${project.id}/submit`, label: 'Log your first run' } : undefined}>
          {schema.kind === 'INFERRED' ? 'No path yet: the schema is learned from the runs, and none has been logged.' : 'This schema has no paths.'}
        </Empty>
      ) : (
        <table className="plain" aria-label="Hyperparameter paths" data-testid="schema-paths">
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Type</th>
              <th scope="col">{schema.kind === 'INFERRED' ? 'Values seen' : 'Range or values'}</th>
              {open && (
                <th scope="col" className="numeric">
                  Runs
                </th>
              )}
              <th scope="col">Description</th>
              <th scope="col">Unit</th>
              <th scope="col">Scale</th>
              <th scope="col">
                <span className="visually-hidden">Runs table</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {schema.paths.map((entry) => {
              const filter = pathFilter(entry);
              return (
                <tr key={entry.path} data-schema-path={entry.path}>
                  <th scope="row">
                    <code>{entry.path}</code>
                  </th>
                  <td className="schema-type">{entry.type}</td>
                  <td>{valuesSummary(entry)}</td>
                  {open && <td className="numeric">{entry.runs == null ? '' : entry.runs.toLocaleString('en-GB')}</td>}
                  <td>{entry.description ?? ''}</td>
                  <td>{entry.unit ?? ''}</td>
                  <td>{entry.scale ?? ''}</td>
                  <td>
                    {filter && open && (
                      <Link
                        href={`/projects/${project.id}?${new URLSearchParams({ q: filter, sort: `param:${entry.path}`, dir: 'desc' })}`}
                        aria-label={`Runs with ${entry.path}`}
                      >
                        Runs →
                      </Link>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}
