import { randomUUID } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ArtifactPathError, checkSegments } from './paths';
import { ArtifactConflictError, ArtifactTooLargeError, checkRunId, type ArtifactEntry, type ArtifactStore, type StoredArtifact } from './store';

/**
 * Artifacts in a local directory: `<root>/<run id>/<path>`, uploads first written to `<root>/.incoming/` and
 * renamed into place (atomic on one file system). No symbolic link is ever followed below the root: each directory
 * on the way is checked with lstat (and created one level at a time, never `mkdir -p`, which follows links), and
 * files are opened with O_NOFOLLOW, so a link planted inside a run's directory cannot lead a read or a write out.
 * The root itself may be a link (an administrator's choice); it is resolved once, when the store opens.
 */

const INCOMING = '.incoming';
/** Uploads older than this in `.incoming` were cut off by a crash: removed when the store opens. */
const STALE_UPLOAD_MS = 24 * 3600_000;
// O_NONBLOCK: opening a FIFO planted in the directory must not hang; it has no effect on regular files.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

export class LocalArtifactStore implements ArtifactStore {
  private constructor(readonly location: string) {}

  /** Opens (creating it if needed) the store at `root`. */
  static async open(root: string): Promise<LocalArtifactStore> {
    await mkdir(join(root, INCOMING), { recursive: true, mode: 0o700 });
    const store = new LocalArtifactStore(await realpath(root));
    await store.removeStaleUploads();
    return store;
  }

  async put(runId: string, path: readonly string[], body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ size: number }> {
    const name = this.fileName(runId, path);
    const dir = (await this.directory(runId, path.slice(0, -1), true))!;
    const target = join(dir, name);
    const existing = await lstatOrNull(target);
    if (existing?.isDirectory()) throw new ArtifactConflictError(`${path.join('/')} is a directory; a file cannot replace it`);

    const temp = join(this.location, INCOMING, `${runId}.${randomUUID()}`);
    const handle = await open(temp, WRITE_FLAGS, 0o644);
    let size = 0;
    try {
      await pipeline(
        body,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            size += chunk.byteLength;
            if (size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
            yield chunk;
          }
        },
        // flush: on disk before it is visible under its name, so a crash leaves the old file or the whole new one.
        // The stream closes the handle, whether it finishes or fails.
        handle.createWriteStream({ flush: true }),
      );
      await rename(temp, target);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
    return { size };
  }

  async get(runId: string, path: readonly string[]): Promise<StoredArtifact | null> {
    const name = this.fileName(runId, path);
    const dir = await this.directory(runId, path.slice(0, -1), false);
    if (!dir) return null;
    let handle;
    try {
      handle = await open(join(dir, name), READ_FLAGS);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      if (errorCode(error) === 'ELOOP') throw new ArtifactPathError(path.join('/'), 'it is a symbolic link; artifacts never follow links');
      throw error;
    }
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return null;
    }
    return { size: stats.size, stream: handle.createReadStream() };
  }

  async list(runId: string, path: readonly string[]): Promise<ArtifactEntry[]> {
    checkRunId(runId);
    checkSegments(path);
    const dir = await this.directory(runId, path, false);
    if (!dir) return [];
    const entries = await readdir(dir, { withFileTypes: true });
    const listed: ArtifactEntry[] = [];
    for (const entry of entries) {
      const entryPath = [...path, entry.name].join('/');
      // Links, sockets, FIFOs… were not written by the store: they are not artifacts, and are not followed.
      if (entry.isDirectory()) listed.push({ path: entryPath, isDir: true, size: null });
      else if (entry.isFile()) {
        const stats = await lstatOrNull(join(dir, entry.name));
        if (stats?.isFile()) listed.push({ path: entryPath, isDir: false, size: stats.size });
      }
    }
    return listed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async deleteRun(runId: string): Promise<void> {
    checkRunId(runId);
    // rm removes links themselves, never what they point to.
    await rm(join(this.location, runId), { recursive: true, force: true });
  }

  /** Checks the run id and a file path (at least one segment); returns the file's name. */
  private fileName(runId: string, path: readonly string[]): string {
    checkRunId(runId);
    checkSegments(path);
    const name = path.at(-1);
    if (name === undefined) throw new ArtifactPathError('', 'the path is empty; name a file');
    return name;
  }

  /**
   * The directory `path` of the run, walked one level at a time from the root with lstat: a symbolic link on the way
   * is refused, and so is a file where a directory should be when writing. When `create`, missing levels are made;
   * otherwise a missing level (or a file in the way) answers null.
   */
  private async directory(runId: string, path: readonly string[], create: boolean): Promise<string | null> {
    let dir = this.location;
    const levels = [runId, ...path];
    for (let i = 0; i < levels.length; i++) {
      const next = join(dir, levels[i]!);
      let stats = await lstatOrNull(next);
      if (!stats) {
        if (!create) return null;
        try {
          await mkdir(next, { mode: 0o755 });
        } catch (error) {
          if (errorCode(error) !== 'EEXIST') throw error; // another upload made it meanwhile: check what it is
        }
        stats = await lstat(next);
      }
      const shown = path.slice(0, i).join('/') || '(run root)';
      if (stats.isSymbolicLink())
        throw new ArtifactPathError(path.join('/'), `${i === 0 ? 'the run directory' : shown} is a symbolic link; artifacts never follow links`);
      if (!stats.isDirectory()) {
        if (!create) return null;
        throw new ArtifactConflictError(`${shown} is a file; it cannot also be a directory`);
      }
      dir = next;
    }
    return dir;
  }

  private async removeStaleUploads(): Promise<void> {
    const incoming = join(this.location, INCOMING);
    for (const name of await readdir(incoming)) {
      const stats = await lstat(join(incoming, name)).catch(() => null);
      if (stats && Date.now() - stats.mtimeMs > STALE_UPLOAD_MS) await rm(join(incoming, name), { force: true, recursive: true });
    }
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
    throw error;
  }
}
