import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatProgressLine } from './progress';

describe('progress', () => {
  it('draws a bar with epoch, step, throughput and ETA', () => {
    expect(formatProgressLine({ epoch: 2, epochs: 5, step: 500, totalSteps: 1000, samplesPerSecond: 4321.4, etaSeconds: 125 }, 10)).toBe(
      'epoch 2/5 █████░░░░░  50% step 500/1000  4,321 samples/s  ETA 2:05',
    );
  });

  it('writes plain lines, not escape codes, when the output is not a terminal', () => {
    let written = '';
    const stream = { isTTY: false, write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
    const reporter = createProgressReporter(stream, 0);
    reporter.start('mnist-cnn');
    reporter.update({ epoch: 1, epochs: 1, step: 10, totalSteps: 10, samplesPerSecond: 100, etaSeconds: 0 });
    reporter.done('succeeded');
    expect(written).not.toContain('\x1b');
    expect(written.split('\n')).toEqual(['training mnist-cnn', 'mnist-cnn: epoch 1/1 100% step 10/10  100 samples/s  ETA 0:00', 'mnist-cnn: succeeded', '']);
  });
});
