import { describe, expect, it } from 'vitest';
import type { TuneboardClient } from './client';
import { TuneboardError } from './errors';
import { Run } from './run';

// A run of your own script hears through its heartbeat that it was stopped in Tuneboard (cancelled, or pruned by a
// sweep's early stopping): `stopped` says so, and finish() leaves the status Tuneboard set.
function scripted(status: string) {
  const set: string[] = [];
  const client = {
    touchRun: async (id: string) => ({ id, status }),
    logMetrics: async () => 1,
    setRunStatus: async (_id: string, to: string) => {
      set.push(to);
      if (status === 'PRUNED' || status === 'CANCELLED')
        throw new TuneboardError(`A ${status.toLowerCase()} run cannot become ${to.toLowerCase()}`, 'CONFLICT');
      return { id: 'r', status: to };
    },
  } as unknown as TuneboardClient;
  return { client, set };
}

const beats = () => new Promise((resolve) => setTimeout(resolve, 120));

describe('Run.stopped', () => {
  it('turns PRUNED once a heartbeat hears the run was pruned, and finish() keeps it pruned', async () => {
    const { client, set } = scripted('PRUNED');
    const run = new Run(client, 'r', 'trial 3', [], {}, 20);
    expect(run.stopped).toBeNull();
    await beats();
    expect(run.stopped).toBe('PRUNED');
    await run.finish();
    expect(set).toEqual(['SUCCEEDED']);
    expect(run.heartbeating).toBe(false);
  });

  it('stays null for a running run, whose finish() sets the status; a refusal then is not hidden', async () => {
    const { client, set } = scripted('RUNNING');
    const run = new Run(client, 'r', 'trial 4', [], {}, 20);
    await beats();
    expect(run.stopped).toBeNull();
    await run.finish('FAILED');
    expect(set).toEqual(['FAILED']);

    const refusing = {
      ...scripted('RUNNING').client,
      setRunStatus: async () => {
        throw new TuneboardError('The run changed status concurrently', 'CONFLICT');
      },
    } as unknown as TuneboardClient;
    await expect(new Run(refusing, 'r2', 'trial 5', [], {}, 0).finish()).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
