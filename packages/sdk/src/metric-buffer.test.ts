import { describe, expect, it } from 'vitest';
import type { MetricColumnsInput } from './client';
import { TuneboardError } from './errors';
import { MetricBuffer } from './metric-buffer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder(behaviour: (call: number) => void = () => {}) {
  const batches: MetricColumnsInput[][] = [];
  let calls = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const send = async (series: MetricColumnsInput[]) => {
    calls++;
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    try {
      await sleep(5);
      behaviour(calls);
      batches.push(series);
    } finally {
      concurrent--;
    }
  };
  return {
    send,
    batches,
    get calls() {
      return calls;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
  };
}

describe('MetricBuffer', () => {
  it('sends full batches by count, in order, one request at a time', async () => {
    const api = recorder();
    const buffer = new MetricBuffer(api.send, { maxBatchPoints: 100, flushIntervalMs: 10_000 });
    for (let step = 0; step < 1000; step++) buffer.add(step % 2 ? 'acc' : 'loss', step, step / 10);
    await buffer.flush();
    expect(api.batches).toHaveLength(10);
    expect(api.maxConcurrent).toBe(1);
    const lossSteps = api.batches.flatMap((b) => b.find((s) => s.key === 'loss')?.steps ?? []);
    expect(lossSteps).toEqual(Array.from({ length: 500 }, (_, i) => i * 2));
    expect(buffer.delivered).toBe(1000);
  });

  it('sends a partial batch when the interval passes, without waiting for flush', async () => {
    const api = recorder();
    const buffer = new MetricBuffer(api.send, { maxBatchPoints: 1000, flushIntervalMs: 30 });
    buffer.add('loss', 0, 1);
    buffer.add('loss', 1, 0.5);
    await sleep(100);
    expect(api.batches).toEqual([[{ key: 'loss', steps: [0, 1], values: [1, 0.5], wallTimes: expect.any(Array) }]]);
  });

  it('retries a batch that failed for a retryable reason, then delivers it', async () => {
    const api = recorder((call) => {
      if (call <= 2) throw new TuneboardError('Cannot reach Tuneboard', 'NETWORK', [], true);
    });
    const buffer = new MetricBuffer(api.send, { retryBaseMs: 1 });
    buffer.add('loss', 0, 1);
    await buffer.flush();
    expect(api.calls).toBe(3);
    expect(api.batches).toHaveLength(1);
    expect(buffer.dropped).toBe(0);
  });

  it('gives up at once on a batch the API refuses as invalid, and says so', async () => {
    const errors: Error[] = [];
    const api = recorder(() => {
      throw new TuneboardError('metrics[0].steps[0] (loss) must be a whole number', 'BAD_USER_INPUT');
    });
    const buffer = new MetricBuffer(api.send, { onError: (e) => errors.push(e) });
    buffer.add('loss', -1, 1);
    await buffer.flush();
    expect(api.calls).toBe(1);
    expect(buffer.dropped).toBe(1);
    expect(errors[0]?.message).toContain('must be a whole number');
  });

  it('bounds what it keeps while the API is down, dropping the oldest and counting them', async () => {
    const api = recorder();
    const buffer = new MetricBuffer(api.send, { maxBatchPoints: 1_000_000, maxBufferedPoints: 10, flushIntervalMs: 10_000 });
    for (let step = 0; step < 25; step++) buffer.add('loss', step, step);
    await buffer.flush();
    expect(buffer.dropped).toBe(15);
    expect(api.batches[0]![0]!.steps).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });
});
