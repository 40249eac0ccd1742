'use client';
import { useSyncExternalStore } from 'react';

// Moments in the reader's own locale and time zone. The server does not know them, so it renders a neutral
// UTC form and the browser swaps in the local one as the page hydrates (useSyncExternalStore's server snapshot),
// without a hydration mismatch.

const subscribe = () => () => {};
const inBrowser = () => true;
const onServer = () => false;

export function formatUtc(iso: string, dateOnly = false): string {
  const text = new Date(iso).toISOString();
  return dateOnly ? text.slice(0, 10) : `${text.slice(0, 16).replace('T', ' ')} UTC`;
}

/** A timestamp as a `<time>` element, in the reader's locale once the page is live; `—` for none. */
export function LocalTime({ iso, dateOnly = false }: { iso: string | null | undefined; dateOnly?: boolean }) {
  const local = useSyncExternalStore(subscribe, inBrowser, onServer);
  if (!iso) return <>—</>;
  const date = new Date(iso);
  const text = !local ? formatUtc(iso, dateOnly) : dateOnly ? date.toLocaleDateString() : date.toLocaleString();
  return <time dateTime={iso}>{text}</time>;
}
