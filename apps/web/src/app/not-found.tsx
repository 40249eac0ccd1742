import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="page narrow">
      <h1>Not found</h1>
      <p>There is nothing here, or it belongs to a team you are not in.</p>
      <Link href="/projects">Back to projects</Link>
    </main>
  );
}
