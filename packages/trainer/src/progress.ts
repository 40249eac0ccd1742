// Throughput and time left, and yielding to the event loop between steps.

/** Samples per second over the steps since the last report, and the time left at the overall rate. */
export class ThroughputWindow {
  private readonly startedAt = performance.now();
  private windowStart = performance.now();
  private windowSamples = 0;

  constructor(private readonly totalSteps: number) {}

  record(samples: number): void {
    this.windowSamples += samples;
  }

  takeRate(): number {
    const now = performance.now();
    const rate = (this.windowSamples * 1000) / Math.max(now - this.windowStart, 1e-3);
    this.windowStart = now;
    this.windowSamples = 0;
    return rate;
  }

  /** Leaves time spent outside training steps (evaluation) out of the next rate. */
  restartWindow(): void {
    this.windowStart = performance.now();
    this.windowSamples = 0;
  }

  etaSeconds(stepsDone: number): number {
    const elapsed = (performance.now() - this.startedAt) / 1000;
    return stepsDone === 0 ? 0 : (elapsed / stepsDone) * (this.totalSteps - stepsDone);
  }
}

/** Resolves after pending I/O and timers ran: lets an abort() or a metrics write in between steps. */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
