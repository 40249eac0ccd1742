import Link from 'next/link';
import { ProjectNameDocument } from '@/graphql/generated/graphql';
import { serverQuery } from '../../../apollo-server';

/** "Projects / <project name>" above a project's pages; the page itself reports an unreadable project. */
export async function ProjectCrumbs({ projectId }: { projectId: string }) {
  let name: string | undefined;
  try {
    name = (await serverQuery({ query: ProjectNameDocument, variables: { id: projectId } })).data?.project?.name;
  } catch {
    name = undefined;
  }
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>{name ?? 'Project'}</Link>
    </nav>
  );
}
