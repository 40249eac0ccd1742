'use client';
import type { Vocabulary } from '@tuneboard/filter';
import { useEffect, useMemo, useState } from 'react';
import { checkFilterText } from '@/lib/filter-check';
import { ExpressionError } from '@/lib/expression-error';

const EXAMPLE = 'batchSize <= 32 and optimizer.name = "adam" or tags has "baseline"';

/**
 * The expression is checked as it is typed (same language and vocabulary as the API) and applied on Enter;
 * the API's own rejection, if any, is shown the same way.
 */
export function FilterBar({
  applied,
  serverError,
  onApply,
  vocabulary,
  example = EXAMPLE,
}: {
  applied: string;
  serverError?: string;
  onApply: (filter: string) => void;
  /** The project's hyperparameter paths (schemaVocabulary). */
  vocabulary: Vocabulary;
  /** A placeholder written in the project's own paths. */
  example?: string;
}) {
  const [draft, setDraft] = useState(applied);
  useEffect(() => setDraft(applied), [applied]);
  const errors = useMemo(() => checkFilterText(draft, vocabulary), [draft, vocabulary]);
  const dirty = draft.trim() !== applied.trim();

  return (
    <form
      className="filter-bar"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        if (errors.length === 0) onApply(draft.trim());
      }}
    >
      <div className="filter-input">
        <input
          aria-label="Filter runs"
          aria-invalid={errors.length > 0}
          spellCheck={false}
          value={draft}
          placeholder={example}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button type="submit" disabled={errors.length > 0 || !dirty}>
          Apply
        </button>
        {applied && (
          <button type="button" className="secondary" onClick={() => onApply('')}>
            Clear
          </button>
        )}
      </div>
      {errors.map((error, index) => (
        <ExpressionError key={index} error={error} role="alert" data-filter-error />
      ))}
      {errors.length === 0 && serverError && !dirty && (
        <div className="filter-error" role="alert" data-filter-error>
          <span>{serverError}</span>
        </div>
      )}
    </form>
  );
}
