import { describe, expect, it } from 'vitest';
import { ashaDecision, ashaRungs, medianDecision, type AshaOptions, type Report } from './pruning';

const epochs = (...values: number[]): Report[] => values.map((value, i) => ({ resource: i + 1, value }));
const asha: AshaOptions = { direction: 'maximize', minResource: 1, reductionFactor: 3, maxResource: 27, metric: 'test.accuracy', unit: 'epoch' };

describe('ASHA', () => {
  it('places rungs at r, rη, rη² below the full budget', () => {
    expect(ashaRungs(asha)).toEqual([1, 3, 9]);
    expect(ashaRungs({ minResource: 100, reductionFactor: 2, maxResource: 1_000 })).toEqual([100, 200, 400, 800]);
  });

  it('keeps the top third of the trials at the highest rung reached, and says why it stops the rest', () => {
    // Six trials reached epoch 3 before: their accuracies there.
    const others = [0.7, 0.86, 0.9, 0.6, 0.75, 0.8].map((at3) => epochs(0.5, 0.6, at3));
    // Seven at the rung: the top ⌊7/3⌋ = 2 go on; the cutoff is the second best, 0.86.
    const stopped = ashaDecision(epochs(0.55, 0.7, 0.81), others, asha);
    expect(stopped).toEqual({
      prune: true,
      resource: 3,
      value: 0.81,
      cutoff: 0.86,
      competitors: 7,
      reason: "stopped at epoch 3: test.accuracy 0.81 below the rung's top third, 0.86 (7 trials)",
    });
    expect(ashaDecision(epochs(0.55, 0.7, 0.88), others, asha)).toMatchObject({ prune: false, cutoff: 0.88 });
    // A tie with the cutoff goes on.
    expect(ashaDecision(epochs(0.55, 0.7, 0.86), others, asha).prune).toBe(false);
  });

  it('judges a trial only at a rung: between rungs, and with fewer than η trials there, it goes on', () => {
    const others = [epochs(0.9, 0.95, 0.97), epochs(0.9, 0.95, 0.97)];
    // Judged (and kept, alone) at epoch 1; at epoch 2 it is between rungs, even though others reached rung 1 since.
    expect(ashaDecision(epochs(0.1, 0.2), others, asha)).toMatchObject({ prune: false, reason: 'between rungs (the next is at epoch 3)' });
    // Reports that arrive together are judged at the highest rung they crossed since the last decision.
    expect(ashaDecision(epochs(0.1, 0.2), others, asha, 0)).toMatchObject({ prune: true, resource: 1, cutoff: 0.9 });
    expect(ashaDecision(epochs(0.1), [epochs(0.9)], asha)).toMatchObject({ prune: false, reason: '2 of the 3 trials needed to compare at epoch 1' });
    expect(ashaDecision([], others, asha)).toMatchObject({ prune: false, reason: 'no rung reached yet (the first is at epoch 1)' });
    expect(ashaDecision(epochs(...Array.from({ length: 12 }, () => 0.1)), others, asha)).toMatchObject({ prune: false, reason: 'past the last rung' });
  });

  it('minimises a loss: stops the trials above the cutoff', () => {
    const options: AshaOptions = { ...asha, direction: 'minimize', metric: 'val.loss', reductionFactor: 2 };
    const others = [epochs(0.3), epochs(0.5), epochs(0.9)];
    expect(ashaDecision(epochs(0.7), others, options)).toMatchObject({
      prune: true,
      cutoff: 0.5,
      reason: "stopped at epoch 1: val.loss 0.7 above the rung's top half, 0.5 (4 trials)",
    });
    expect(ashaDecision(epochs(0.4), others, options).prune).toBe(false);
  });

  it('reads a rung between reports from the last report before it', () => {
    const bySteps: AshaOptions = { ...asha, unit: 'step', minResource: 100, maxResource: 10_000, reductionFactor: 2 };
    const report = (resource: number, value: number): Report => ({ resource, value });
    const others = [
      [report(90, 0.5), report(130, 0.9)],
      [report(95, 0.4), report(120, 0.95)],
    ];
    // Rung 100: the others' values are 0.5 and 0.4 (at steps 90 and 95); this trial's is 0.45 (step 99).
    expect(ashaDecision([report(99, 0.45), report(110, 0.1)], others, bySteps, 0)).toMatchObject({ prune: true, resource: 100, value: 0.45, cutoff: 0.5 });
  });
});

describe('the median stopping rule', () => {
  const options = { direction: 'maximize' as const, startupTrials: 3, warmup: 2, metric: 'test.accuracy', unit: 'epoch' };
  const completed = [epochs(0.5, 0.7, 0.8), epochs(0.6, 0.8, 0.9), epochs(0.4, 0.75, 0.85)];

  it("stops a trial whose best so far is below the completed trials' median at the same epoch", () => {
    expect(medianDecision(epochs(0.5, 0.72), completed, options)).toEqual({
      prune: true,
      resource: 2,
      value: 0.72,
      cutoff: 0.75,
      competitors: 3,
      reason: 'stopped at epoch 2: best test.accuracy so far 0.72 below the median of 3 completed trials, 0.75',
    });
    expect(medianDecision(epochs(0.5, 0.76), completed, options).prune).toBe(false);
  });

  it('waits for the warm-up and for enough completed trials', () => {
    expect(medianDecision(epochs(0.1), completed, options)).toMatchObject({ prune: false, reason: 'before the warm-up (epoch 2)' });
    expect(medianDecision(epochs(0.1, 0.1), completed.slice(0, 2), options)).toMatchObject({ prune: false });
  });
});
