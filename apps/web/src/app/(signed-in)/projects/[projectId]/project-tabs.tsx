// The project's tabs, the same on each of its pages.
import Link from 'next/link';

const TABS = [
  { id: 'runs', label: 'Runs', path: '' },
  { id: 'findings', label: 'Findings', path: '/findings' },
  { id: 'schema', label: 'Schema', path: '/schema' },
  { id: 'settings', label: 'Settings', path: '/settings' },
] as const;

export type ProjectTab = (typeof TABS)[number]['id'];

export function ProjectTabs({ projectId, active }: { projectId: string; active: ProjectTab }) {
  return (
    <nav className="tabs" aria-label="Project">
      {TABS.map((tab) =>
        tab.id === active ? (
          <span key={tab.id} className="active" aria-current="page">
            {tab.label}
          </span>
        ) : (
          <Link key={tab.id} href={`/projects/${projectId}${tab.path}`}>
            {tab.label}
          </Link>
        ),
      )}
    </nav>
  );
}
