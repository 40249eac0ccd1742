// Metric keys the trainer emits. The dashboard and findings read them by
// name; `test.accuracy` is the headline metric of a run.
export const METRIC_KEYS = {
  /** Mean cross-entropy of the step's batch (without the L2 penalty), every step. */
  trainLoss: 'train.loss',
  /** Learning rate of the step's update, every step. */
  trainLearningRate: 'train.learning_rate',
  /** Training throughput over the last few steps. */
  trainSamplesPerSecond: 'train.samples_per_second',
  /** Sample-weighted mean of the epoch's step losses, at each epoch end. */
  trainEpochLoss: 'train.epoch_loss',
  /** Fraction of the epoch's training samples classified correctly as they were trained on, at each epoch end. */
  trainAccuracy: 'train.accuracy',
  /** Mean cross-entropy on the test split, at each epoch end. */
  testLoss: 'test.loss',
  /** Fraction of the test split classified correctly, at each epoch end. */
  testAccuracy: 'test.accuracy',
  /** Range test: the step's loss. */
  rangeLoss: 'lr_range.loss',
  /** Range test: the step's learning rate. */
  rangeLearningRate: 'lr_range.learning_rate',
} as const;

export type MetricKey = (typeof METRIC_KEYS)[keyof typeof METRIC_KEYS];

export interface MetricPoint {
  key: string;
  /** Optimizer updates applied to the weights the value was measured on (0 = initial weights). */
  step: number;
  value: number;
  /** Milliseconds since the Unix epoch. */
  wallTime: number;
}

/** Collects points for one callback and remembers the last value of each key. */
export class MetricRecorder {
  readonly latest: Record<string, number> = {};
  private pending: MetricPoint[] = [];

  constructor(private readonly onMetrics: (points: MetricPoint[]) => void) {}

  add(key: string, step: number, value: number): void {
    if (!Number.isFinite(value)) return;
    this.pending.push({ key, step, value, wallTime: Date.now() });
    this.latest[key] = value;
  }

  /** Hands the collected points to the callback, without waiting for it. */
  flush(): void {
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    this.onMetrics(points);
  }
}
