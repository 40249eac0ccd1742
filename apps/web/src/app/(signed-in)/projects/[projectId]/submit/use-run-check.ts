'use client';
// The API's dry run (checkRun) of what the form would submit, so finding warnings show before anything is queued.
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { CheckRunDocument } from '@/graphql/generated/graphql';
import { summarizeApiError } from '@/lib/api-error';
import type { RunCheckResult } from './run-check-state';

export type CheckInput = { projectId: string; hparams: unknown; name: string | null; tags: string[] };

/**
 * Calls checkRun 400 ms after the input stops changing. Answers are keyed by the input they are about, and
 * an answer to an older input than the latest asked is dropped, so a slow reply never hides a newer one.
 */
export function useRunCheck(input: CheckInput | null) {
  const client = useApolloClient();
  const [answered, setAnswered] = useState<{ key: string; result: RunCheckResult } | null>(null);
  const [failure, setFailure] = useState<{ key: string; message: string } | null>(null);
  const latestAsked = useRef<string | null>(null);
  const currentKey = input ? JSON.stringify(input) : null;
  useEffect(() => {
    if (!input || !currentKey) return;
    const timer = setTimeout(() => {
      latestAsked.current = currentKey;
      // network-only: findings change while the form is open, so an earlier answer for the same input may be stale.
      client
        .query({ query: CheckRunDocument, variables: { input }, fetchPolicy: 'network-only' })
        .then((result) => {
          if (latestAsked.current !== currentKey) return;
          if (result.data) setAnswered({ key: currentKey, result: result.data.checkRun });
          else setFailure({ key: currentKey, message: 'the API returned no answer' });
        })
        .catch((error: unknown) => {
          if (latestAsked.current === currentKey) setFailure({ key: currentKey, message: summarizeApiError(error).message });
        });
    }, 400);
    return () => clearTimeout(timer);
    // input is derived from currentKey; the key is what identifies it.
  }, [currentKey, client]);
  return { currentKey, answered, failure };
}
