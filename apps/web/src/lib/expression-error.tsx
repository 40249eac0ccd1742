import type { HTMLAttributes } from 'react';
import type { MarkedFilterError } from './filter-check';

/** One error in a typed expression (filter bar, finding rule or scope): the line, a caret under the fault, why. */
export function ExpressionError({ error, ...attributes }: { error: MarkedFilterError } & HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, unknown>) {
  return (
    <div className="filter-error" {...attributes}>
      {error.line && (
        <pre aria-hidden="true">
          {error.line}
          {'\n'}
          {' '.repeat(error.column)}
          {'^'.repeat(error.width)}
        </pre>
      )}
      <span>{error.message}</span>
    </div>
  );
}
