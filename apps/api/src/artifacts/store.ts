import type { Readable } from 'node:stream';

/**
 * Where run artifacts (files a run logs: models, plots, checkpoints) live, behind one interface so the local
 * directory (local.ts) and other backends are interchangeable. Artifacts are keyed by run id and a relative path
 * given as segments; every implementation re-checks the segments (paths.ts) whatever its caller checked.
 * Nothing here knows about users or teams: the service (services/artifacts.ts) checks access first.
 */

export interface ArtifactEntry {
  /** Relative to the run's root, "/"-separated (e.g. "model/weights.bin"). */
  path: string;
  isDir: boolean;
  /** Bytes, for files; null for directories. */
  size: number | null;
}

export interface StoredArtifact {
  size: number;
  /** The file's bytes; the caller must consume or destroy it. */
  stream: Readable;
}

export interface ArtifactStore {
  /** Where the artifacts are, for the start-up banner and logs. */
  readonly location: string;
  /**
   * Stores `body` at `path` of the run, replacing a file that is there. Streams to storage (never the whole file in
   * memory) and is atomic: readers see the old file or the whole new one, never a part. Past `maxBytes` it stops,
   * leaves nothing behind and throws ArtifactTooLargeError. Resolves with the bytes stored.
   */
  put(runId: string, path: readonly string[], body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ size: number }>;
  /** The file at `path`, or null when there is no file there (missing, a directory, or not a regular file). */
  get(runId: string, path: readonly string[]): Promise<StoredArtifact | null>;
  /** One directory level (`path` [] is the run's root), sorted by name; empty when there is no directory there. */
  list(runId: string, path: readonly string[]): Promise<ArtifactEntry[]>;
  /** Removes every artifact of the run (nothing when it has none). */
  deleteRun(runId: string): Promise<void>;
}

export class ArtifactTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The artifact is larger than the limit of ${formatBytes(maxBytes)}`);
    this.name = 'ArtifactTooLargeError';
  }
}

/** A write refused because of what is already stored (a directory where a file goes, or the reverse). */
export class ArtifactConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactConflictError';
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Run ids name directories (or key prefixes): only the canonical lower-case UUID form is accepted. */
export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new Error(`Not a canonical run id: ${JSON.stringify(runId)}`);
}
