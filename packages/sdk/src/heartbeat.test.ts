import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TuneboardClient } from './client';
import { Heartbeat } from './heartbeat';
import { Run } from './run';

describe('Heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('beats every interval until stopped, on an unref’d timer', async () => {
    const unref = vi.spyOn(globalThis, 'setInterval');
    const beat = vi.fn(async () => {});
    const heartbeat = new Heartbeat(beat, 30_000);
    expect(heartbeat.running).toBe(true);
    expect((unref.mock.results[0]!.value as NodeJS.Timeout).hasRef()).toBe(false);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(beat).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(beat).toHaveBeenCalledTimes(3);
    heartbeat.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(beat).toHaveBeenCalledTimes(3);
    expect(heartbeat.running).toBe(false);
    unref.mockRestore();
  });

  it('counts a failed beat as missed, not as an error, and keeps beating; beats never overlap', async () => {
    let call = 0;
    const beat = vi.fn(async () => {
      call++;
      if (call === 1) throw new Error('ECONNREFUSED');
      if (call === 2) await new Promise((resolve) => setTimeout(resolve, 25_000));
    });
    const heartbeat = new Heartbeat(beat, 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(heartbeat.missed).toBe(1);
    // The second beat hangs for 25 s: the ticks at 30 s skip instead of piling up.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(beat).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beat).toHaveBeenCalledTimes(3);
    heartbeat.stop();
  });

  it('is off with an interval of 0', () => {
    expect(new Heartbeat(async () => {}, 0).running).toBe(false);
  });
});

describe('Run heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('touches the run every 30 s by default and stops at finish', async () => {
    const client = {
      touchRun: vi.fn(async (id: string) => ({ id, status: 'RUNNING' })),
      setRunStatus: vi.fn(async (id: string) => ({ id, status: 'SUCCEEDED' })),
      logMetrics: vi.fn(async () => 0),
    };
    const run = new Run(client as unknown as TuneboardClient, 'run-1', 'r', []);
    expect(run.heartbeating).toBe(true);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(client.touchRun).toHaveBeenCalledTimes(2);
    expect(client.touchRun).toHaveBeenCalledWith('run-1');
    await run.finish();
    expect(run.heartbeating).toBe(false);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(client.touchRun).toHaveBeenCalledTimes(2);
    expect(client.setRunStatus).toHaveBeenCalledWith('run-1', 'SUCCEEDED', {});
  });
});
