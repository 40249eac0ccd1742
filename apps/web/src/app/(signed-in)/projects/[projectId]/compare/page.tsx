import type { Metadata } from 'next';
import { Suspense } from 'react';
import {
  CompareAnnotationsDocument,
  CompareRunsDocument,
  ProjectFindingsDocument,
  ProjectNameDocument,
  ProjectSchemaDocument,
} from '@/graphql/generated/graphql';
import { serverQuery } from '../../../../apollo-server';
import { Loading } from '../../../../status-views';
import { CompareView, type CompareSeeds } from './compare-view';
import { COMPARE_MAX_POINTS, parseCompareState } from './compare-state';
import { ImportancePanel } from '../importance-panel';
import { ProjectCrumbs } from '../project-crumbs';

export const metadata: Metadata = { title: 'Compare runs' };

export default async function ComparePage({
  params,
  searchParams,
}: {
  params: Promise<{ projectId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { projectId } = await params;
  const { runIds } = parseCompareState(await searchParams);
  // The view's three queries, read here in parallel so the HTML arrives with the runs (a failure is left to the
  // view's own query, which shows why).
  const runsVariables = { runIds: [...runIds], maxPoints: COMPARE_MAX_POINTS };
  const annotationsVariables = { runIds: [...runIds] };
  const [runs, schema, findings, annotations] = await Promise.allSettled([
    runIds.length > 0 ? serverQuery({ query: CompareRunsDocument, variables: runsVariables, fetchPolicy: 'no-cache' }) : Promise.reject(new Error('no runs')),
    serverQuery({ query: ProjectSchemaDocument, variables: { id: projectId }, fetchPolicy: 'no-cache' }),
    serverQuery({ query: ProjectFindingsDocument, variables: { projectId }, fetchPolicy: 'no-cache' }),
    runIds.length > 0
      ? serverQuery({ query: CompareAnnotationsDocument, variables: annotationsVariables, fetchPolicy: 'no-cache' })
      : Promise.reject(new Error('no runs')),
    // For the breadcrumb, which then reads it from this request's cache instead of asking after the rest.
    serverQuery({ query: ProjectNameDocument, variables: { id: projectId } }),
  ]);
  const seeds: CompareSeeds = {
    runs: { query: CompareRunsDocument, variables: runsVariables, data: runs.status === 'fulfilled' ? runs.value.data : undefined },
    schema: { query: ProjectSchemaDocument, variables: { id: projectId }, data: schema.status === 'fulfilled' ? schema.value.data : undefined },
    findings: { query: ProjectFindingsDocument, variables: { projectId }, data: findings.status === 'fulfilled' ? findings.value.data : undefined },
    annotations: {
      query: CompareAnnotationsDocument,
      variables: annotationsVariables,
      data: annotations.status === 'fulfilled' ? annotations.value.data : undefined,
    },
  };
  return (
    <main className="page wide">
      <ProjectCrumbs projectId={projectId} />
      <h1>Compare runs</h1>
      <Suspense fallback={<Loading what="the comparison" />}>
        <CompareView projectId={projectId} seeds={seeds} />
      </Suspense>
      <ImportancePanel projectId={projectId} />
    </main>
  );
}
