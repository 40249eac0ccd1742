'use client';
// The top bar's search box: Ctrl-K (⌘K) from anywhere focuses it; typing searches runs, projects and findings of
// all your teams; ↑/↓ move through the hits, Enter opens one, Escape closes. An ARIA combobox, so screen readers
// announce the list and the active hit.
import { useQuery } from '@apollo/client/react';
import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState } from 'react';
import { SearchDocument, type SearchQuery } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';

type Hit = SearchQuery['search'][number];

const KIND_LABEL: Record<Hit['kind'], string> = { RUN: 'run', PROJECT: 'project', FINDING: 'finding' };
/** Typing pauses this long before a search is sent. */
const DEBOUNCE_MS = 200;

export function hitHref(hit: Pick<Hit, 'kind' | 'id'>): string {
  return hit.kind === 'RUN' ? `/runs/${hit.id}` : hit.kind === 'PROJECT' ? `/projects/${hit.id}` : `/findings/${hit.id}`;
}

export function SearchBox() {
  const router = useRouter();
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const { data, error, loading } = useQuery(SearchDocument, { variables: { text: query }, skip: query === '' });
  const hits = query === '' ? [] : (data?.search ?? []);
  const go = (hit: Hit) => {
    setOpen(false);
    setText('');
    router.push(hitHref(hit));
  };
  const showList = open && query !== '';

  return (
    <div className="search-box">
      <input
        ref={input}
        type="search"
        role="combobox"
        aria-label="Search runs, projects and findings (Ctrl-K)"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && hits[active] ? `${listId}-${active}` : undefined}
        placeholder="Search… (Ctrl-K)"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' && hits.length > 0) {
            event.preventDefault();
            setActive((active + 1) % hits.length);
          } else if (event.key === 'ArrowUp' && hits.length > 0) {
            event.preventDefault();
            setActive((active - 1 + hits.length) % hits.length);
          } else if (event.key === 'Enter' && hits[active]) {
            event.preventDefault();
            go(hits[active]);
          } else if (event.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {showList && (
        <ul id={listId} role="listbox" className="search-hits" aria-label="Search results">
          {error ? (
            <li className="search-note" role="presentation">
              {summarizeApiError(error).message}
            </li>
          ) : hits.length === 0 ? (
            <li className="search-note" role="presentation">
              {loading || text.trim() !== query ? 'Searching…' : `Nothing matches “${query}”.`}
            </li>
          ) : (
            hits.map((hit, index) => (
              <li
                key={`${hit.kind}-${hit.id}`}
                id={`${listId}-${index}`}
                role="option"
                aria-selected={index === active}
                className={index === active ? 'active' : undefined}
                onMouseDown={(event) => {
                  event.preventDefault();
                  go(hit);
                }}
                onMouseEnter={() => setActive(index)}
              >
                <span className="badge">{KIND_LABEL[hit.kind]}</span> <span className="search-title">{hit.title}</span>
                <span className="muted small">
                  {' '}
                  {hit.kind === 'PROJECT' ? hit.teamName : `${hit.projectName} · ${hit.teamName}`}
                  {hit.status ? ` · ${hit.status}` : ''}
                </span>
              </li>
            ))
          )}
        </ul>
      )}
    </div>
  );
}
