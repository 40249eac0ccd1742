'use client';
// "Record a finding" on the compare view: the finding form prefilled from what is compared, then createFinding.
import { useMutation } from '@apollo/client/react';
import type { Vocabulary } from '@tuneboard/filter';
import { useRouter } from 'next/navigation';
import { CreateFindingDocument } from '@/graphql/generated/graphql';
import { FindingForm } from '../../../findings/finding-form';
import { findingInputFields } from '../../../findings/finding-form-state';
import type { ComparedRun } from './compare-model';
import type { CompareState } from './compare-state';
import { findingDraftFromCompare } from './finding-draft';

export function RecordFinding({
  projectId,
  runs,
  state,
  vocabulary,
  onClose,
}: {
  projectId: string;
  runs: readonly ComparedRun[];
  state: CompareState;
  /** The project's hyperparameter paths, which the rule and scope are checked against. */
  /** Undefined while the project's schema loads. */
  vocabulary: Vocabulary | undefined;
  onClose: () => void;
}) {
  const router = useRouter();
  const [createFinding, creation] = useMutation(CreateFindingDocument);
  return (
    <section className="panel" aria-label="Record a finding">
      <h2>Record a finding</h2>
      <p className="muted small">
        A rule over hyperparameters that Tuneboard keeps checking against every finished run in its scope, and warns about when a new run breaks it.
      </p>
      <FindingForm
        initial={findingDraftFromCompare(runs, state)}
        citableRuns={runs}
        submitLabel="Record finding"
        submitting={creation.loading}
        error={creation.error}
        onCancel={onClose}
        vocabulary={vocabulary}
        onSubmit={(draft) => {
          void createFinding({ variables: { input: { projectId, ...findingInputFields(draft) } } })
            .then((result) => {
              if (result.data) router.push(`/findings/${result.data.createFinding.id}`);
            })
            .catch(() => undefined);
        }}
      />
    </section>
  );
}
