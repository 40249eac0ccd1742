// Filter expressions checked in the browser with the same parser and vocabulary as the API, so mistakes show as you type.
import { compileFilter, parseExpression, type FilterError, type Vocabulary } from '@tuneboard/filter';

export interface MarkedFilterError extends FilterError {
  /** The line of the text the error is on, and the error's columns within it, for an underline. */
  line: string;
  column: number;
  width: number;
}

/** `vocabulary`: the project's paths (schemaVocabulary); without one (the schema still loading), syntax only. */
export function checkFilterText(text: string, vocabulary: Vocabulary | undefined): MarkedFilterError[] {
  const result = vocabulary ? compileFilter(text, vocabulary) : parseExpression(text);
  if (result.ok) return [];
  return result.errors.map((error) => {
    const lineStart = text.lastIndexOf('\n', Math.max(0, error.start - 1)) + 1;
    const lineEnd = text.indexOf('\n', lineStart);
    const line = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
    return { ...error, line, column: error.start - lineStart, width: Math.max(1, error.end - error.start) };
  });
}
