import type { Metadata } from 'next';
import { RunView } from './run-view';

export const metadata: Metadata = { title: 'Run' };

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return (
    <main className="page wide">
      <RunView runId={runId} />
    </main>
  );
}
