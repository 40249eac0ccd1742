import type { Metadata } from 'next';
import { FindingView } from './finding-view';

export const metadata: Metadata = { title: 'Finding' };

export default async function FindingPage({ params }: { params: Promise<{ findingId: string }> }) {
  const { findingId } = await params;
  return (
    <main className="page wide">
      <FindingView findingId={findingId} />
    </main>
  );
}
