'use client';
// The run's artifacts (files its script logged, e.g. with mlflow.log_artifact): one directory level at a time, a
// breadcrumb back up, and each file a download link through the dashboard's /api/runs/… route (the session's token
// stays on the server).
import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { RunArtifactsDocument } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';

export function RunArtifacts({ runId }: { runId: string }) {
  const [dir, setDir] = useState('');
  const { data, error, loading, refetch } = useQuery(RunArtifactsDocument, { variables: { id: runId, path: dir || null }, fetchPolicy: 'cache-and-network' });
  const entries = data?.run?.artifacts ?? [];
  const levels = dir === '' ? [] : dir.split('/');

  return (
    <section className="panel" aria-label="Artifacts">
      <h2>Artifacts</h2>
      <nav aria-label="Artifact folders" className="small">
        <button type="button" className="link" onClick={() => setDir('')} disabled={dir === ''}>
          artifacts
        </button>
        {levels.map((name, i) => (
          <span key={i}>
            {' / '}
            <button type="button" className="link" onClick={() => setDir(levels.slice(0, i + 1).join('/'))} disabled={i === levels.length - 1}>
              {name}
            </button>
          </span>
        ))}{' '}
        <button type="button" className="link muted target" onClick={() => void refetch()}>
          Refresh
        </button>
      </nav>
      {error && <p className="notice error">{summarizeApiError(error).message}</p>}
      {!error && !loading && entries.length === 0 && (
        <p className="muted small">
          {dir === '' ? 'No artifacts. A script logs them with mlflow.log_artifact(…) (MLFLOW_TRACKING_URI pointed at Tuneboard).' : 'This folder is empty.'}
        </p>
      )}
      {entries.length > 0 && (
        <table className="plain small" data-testid="artifact-list">
          <tbody>
            {entries.map((entry) => {
              const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
              return (
                <tr key={entry.path} data-artifact-path={entry.path}>
                  <th scope="row">
                    {entry.isDir ? (
                      <button type="button" className="link" onClick={() => setDir(entry.path)}>
                        {name}/
                      </button>
                    ) : (
                      <a href={downloadUrl(runId, entry.path)} download={name}>
                        {name}
                      </a>
                    )}
                  </th>
                  <td className="muted">{entry.isDir ? 'folder' : formatSize(entry.size ?? 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function downloadUrl(runId: string, path: string): string {
  return `/api/runs/${encodeURIComponent(runId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) ((value /= 1024), unit++);
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
