'use client';
// A first page rendered with its data: the page's Server Component runs the query next to the API (in parallel with
// its other queries) and hands the result down, so the server's HTML already holds it and the browser does not ask
// again after loading its JavaScript (that fetch waited for the script: half a second for the runs table).
//
// The result is used as it is, not written into Apollo's cache: normalising a page of 200 runs into a cache, on the
// server and again in the browser, cost more than the request it saved.
import { useQuery } from '@apollo/client/react';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useRef } from 'react';

export interface SeededQuery<TData, TVariables> {
  query: TypedDocumentNode<TData, TVariables>;
  variables: TVariables;
  /** The server's result; undefined when it failed there (the query then runs in the browser and reports why). */
  data: TData | undefined;
}

export interface SeededQueryResult<TData> {
  data: TData | undefined;
  /** The last data shown, while other variables load (so a new filter does not blank the page). */
  previousData: TData | undefined;
  loading: boolean;
  error: Error | undefined;
  refetch: () => Promise<unknown>;
}

/**
 * useQuery that answers from `seed` while the variables are the ones the server used, and asks the API otherwise
 * (a new filter, sort or selection), or when the server's read failed.
 */
export function useSeededQuery<TData, TVariables extends Record<string, unknown>>(
  query: TypedDocumentNode<TData, TVariables>,
  options: { variables: TVariables; skip?: boolean; notifyOnNetworkStatusChange?: boolean },
  seed: SeededQuery<TData, TVariables> | undefined,
): SeededQueryResult<TData> {
  const seeded = !options.skip && seed?.data !== undefined && sameJson(seed.variables, options.variables) ? seed.data : undefined;
  const result = (useQuery as unknown as LooseUseQuery)(query, { ...options, skip: options.skip || seeded !== undefined });
  const data = seeded ?? (result.data as TData | undefined);
  const shown = useRef<TData | undefined>(undefined);
  const previousData = shown.current;
  if (data !== undefined) shown.current = data;
  return {
    data,
    previousData,
    loading: seeded === undefined && result.loading,
    error: seeded === undefined ? result.error : undefined,
    refetch: () => result.refetch(),
  };
}

// useQuery's overloads do not resolve for a generic TVariables; its runtime contract is the same.
type LooseUseQuery = (
  query: unknown,
  options: Record<string, unknown>,
) => { data: unknown; loading: boolean; error?: Error | undefined; refetch: () => Promise<unknown> };

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
