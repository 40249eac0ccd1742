import type { Metadata } from 'next';
import Link from 'next/link';
import { ProjectsOfTeamsDocument, type ProjectsOfTeamsQuery } from '@/graphql/generated/graphql';
import { serverQuery } from '../../apollo-server';
import { Empty, ErrorNotice } from '../../status-views';
import { CreateProjectForm } from './create-project-form';
import { TeamFeed } from './team-feed';
import { LocalTime } from '../../local-time';

export const metadata: Metadata = { title: 'Projects' };

// A server component: the list is read once per request and changes only through the form's server action.
export default async function ProjectsPage() {
  let data: ProjectsOfTeamsQuery | undefined;
  let failure: unknown;
  try {
    data = (await serverQuery({ query: ProjectsOfTeamsDocument })).data;
  } catch (error) {
    failure = error;
  }
  if (!data) {
    return (
      <main className="page">
        <h1>Projects</h1>
        <ErrorNotice error={failure ?? new Error('The API returned no data.')} />
      </main>
    );
  }
  const teams = data.viewer.teams;
  const writableTeams = teams.filter((team) => team.role !== 'VIEWER');
  return (
    <main className="page">
      <h1>Projects</h1>
      {writableTeams.length > 0 && <CreateProjectForm teams={writableTeams} />}
      {teams.length === 0 && <Empty>You are not in any team yet. Ask a team owner to add you.</Empty>}
      {teams.map((team) => (
        <section key={team.id} className="team">
          <h2>
            {team.name} <span className="badge">{team.role.toLowerCase()}</span>
          </h2>
          {team.projects.length === 0 ? (
            <Empty>No projects in {team.name} yet: create one above.</Empty>
          ) : (
            <ul className="cards">
              {team.projects.map((project) => (
                <li key={project.id} className="card">
                  <Link href={`/projects/${project.id}`}>{project.name}</Link>
                  {project.description && <p className="muted">{project.description}</p>}
                  <p className="muted">
                    {project.runCount} {project.runCount === 1 ? 'run' : 'runs'}
                    {project.hparamSchema.kind !== 'BUILTIN' && ` · ${project.hparamSchema.kind.toLowerCase()} schema`} · created{' '}
                    <LocalTime iso={project.createdAt} dateOnly />
                  </p>
                </li>
              ))}
            </ul>
          )}
          <TeamFeed teamId={team.id} teamName={team.name} />
        </section>
      ))}
    </main>
  );
}
