import { homedir } from 'node:os';
import { join } from 'node:path';

// What `tuneboard run` reads from its environment (the SDK's other defaults are read in client.ts).

/** Where `tuneboard run` keeps its disk buffers: TUNEBOARD_SPOOL_DIR, default ~/.tuneboard/spool. */
export function spoolRoot(): string {
  return process.env.TUNEBOARD_SPOOL_DIR || join(homedir(), '.tuneboard', 'spool');
}

/** The environment a tracked command inherits (it gets the run's variables on top). */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env };
}
