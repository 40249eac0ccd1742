'use client';
// The run's console log (what `tuneboard run` captured): the last 500 lines, earlier and later pages on demand,
// new lines polled while the run is RUNNING, a case-insensitive search with the API's count of matching lines,
// and stderr lines marked in words as well as colour.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { RunLogsDocument, type RunLogsQueryVariables } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import { appendLater, firstSeq, lastSeq, LOG_PAGE, prependEarlier, windowFromTail, type LogPage, type LogWindow } from './run-log-window';

const POLL_MS = 2_000;
const SEARCH_DEBOUNCE_MS = 300;

export function RunLogPanel({ runId, running }: { runId: string; running: boolean }) {
  const client = useApolloClient();
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [logWindow, setLogWindow] = useState<LogWindow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const scrollRef = useRef<HTMLDivElement>(null);
  // Follow the end of the log as it grows, unless the reader scrolled up (or paged back).
  const followEnd = useRef(true);
  const ids = useId();

  useEffect(() => {
    const timer = setTimeout(() => setSearch(searchText.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [searchText]);

  const fetchPage = useCallback(
    async (variables: Omit<RunLogsQueryVariables, 'id' | 'search'>): Promise<LogPage> => {
      const result = await client.query({ query: RunLogsDocument, variables: { id: runId, search: search || null, ...variables }, fetchPolicy: 'no-cache' });
      const logs = result.data?.run?.logs;
      if (!logs) throw new Error('This run does not exist, or belongs to a team you are not in.');
      return logs;
    },
    [client, runId, search],
  );

  // The tail, on load and for each search.
  useEffect(() => {
    let cancelled = false;
    followEnd.current = true;
    fetchPage({ last: LOG_PAGE })
      .then((tail) => {
        if (cancelled) return;
        setLogWindow(windowFromTail(tail));
        setError(null);
      })
      .catch((queryError: unknown) => {
        if (!cancelled) setError(summarizeApiError(queryError).message);
      });
    return () => {
      cancelled = true;
    };
  }, [fetchPage]);

  const loadLater = useCallback(async () => {
    if (!logWindow) return;
    const after = lastSeq(logWindow);
    try {
      const later = await fetchPage(after === null ? { first: LOG_PAGE } : { after, first: LOG_PAGE });
      setLogWindow((current) => (current && lastSeq(current) === after ? appendLater(current, later) : current));
      setError(null);
    } catch (queryError) {
      setError(summarizeApiError(queryError).message);
    }
  }, [fetchPage, logWindow]);

  const loadEarlier = async () => {
    if (!logWindow) return;
    const before = firstSeq(logWindow);
    if (before === null) return;
    setBusy(true);
    followEnd.current = false;
    const element = scrollRef.current;
    const fromBottom = element ? element.scrollHeight - element.scrollTop : 0;
    try {
      const earlier = await fetchPage({ before, last: LOG_PAGE });
      setLogWindow((current) => (current && firstSeq(current) === before ? prependEarlier(current, earlier) : current));
      // Keep the line the reader was looking at in place once the earlier ones are above it.
      requestAnimationFrame(() => {
        if (element) element.scrollTop = element.scrollHeight - fromBottom;
      });
    } catch (queryError) {
      setError(summarizeApiError(queryError).message);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!running || !logWindow || logWindow.laterMore) return;
    const timer = setInterval(() => void loadLater(), POLL_MS);
    return () => clearInterval(timer);
  }, [running, logWindow, loadLater]);

  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element && followEnd.current) element.scrollTop = element.scrollHeight;
  }, [logWindow]);

  const count = logWindow?.total ?? 0;
  return (
    <section className="panel run-log" aria-labelledby={`${ids}-heading`}>
      <div className="toolbar">
        <h2 id={`${ids}-heading`}>Console log</h2>
        <label htmlFor={`${ids}-search`}>Search the log</label>
        <input
          id={`${ids}-search`}
          type="search"
          value={searchText}
          placeholder="text, any case"
          aria-describedby={`${ids}-count`}
          onChange={(event) => setSearchText(event.target.value)}
        />
        <span id={`${ids}-count`} className="muted small" role="status" data-testid="log-count">
          {logWindow
            ? search
              ? `${count.toLocaleString('en-GB')} matching ${count === 1 ? 'line' : 'lines'}`
              : `${count.toLocaleString('en-GB')} ${count === 1 ? 'line' : 'lines'}${logWindow.lines.length < count ? `, ${logWindow.lines.length.toLocaleString('en-GB')} shown` : ''}`
            : 'Loading the log…'}
        </span>
        {running && <span className="muted small">following the run</span>}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {logWindow?.earlierMore && (
        <button type="button" className="secondary small" disabled={busy} onClick={() => void loadEarlier()}>
          Load earlier lines
        </button>
      )}
      <div
        ref={scrollRef}
        className="log-lines"
        role="log"
        aria-label={search ? `Console output matching “${search}”` : 'Console output'}
        aria-live={running ? 'polite' : 'off'}
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          followEnd.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
        }}
      >
        {logWindow && logWindow.lines.length === 0 && (
          <p className="muted">{search ? 'No line matches this search.' : running ? 'Nothing printed yet.' : 'This run printed nothing Tuneboard captured.'}</p>
        )}
        {logWindow?.lines.map((line) => (
          <div key={line.seq} className={`log-line log-${line.stream.toLowerCase()}`} data-stream={line.stream} data-seq={line.seq}>
            <span className="log-seq" aria-hidden="true">
              {line.seq}
            </span>
            <span className="log-stream">{line.stream === 'STDERR' ? 'stderr' : ''}</span>
            <span className="log-text">{line.text}</span>
          </div>
        ))}
      </div>
      {logWindow?.laterMore && (
        <button type="button" className="secondary small" onClick={() => void loadLater()}>
          Load later lines
        </button>
      )}
    </section>
  );
}
