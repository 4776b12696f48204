import { createWriteStream } from 'node:fs';
import { readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, delimiter, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { NonRetriableError, type TaskInput, type TaskOutput, type TaskProgress } from '@taskwire/shared';
import type { snapshot } from '../contracts/index.ts';
import { withTempFile, writeFileAtomic } from './atomic-file.ts';
import { sha256File } from './checksum.ts';
import { FILE_TIMESTAMP_PATTERN, fileTimestamp } from './file-names.ts';
import { scanTree } from './scan-tree.ts';
import { tarStream } from './tar-stream.ts';

export type SnapshotInput = TaskInput<typeof snapshot>;
export type SnapshotResult = TaskOutput<typeof snapshot>;
export type SnapshotProgress = TaskProgress<typeof snapshot>;

/** What a snapshot needs besides its input; a handler context provides all but `dir` and `sources`. */
export interface SnapshotDeps {
  /** Root of the backup sets (`BACKUPS_DIR`); a set's archives live in `<dir>/<name>/`. */
  dir: string;
  /**
   * The directories a snapshot may archive, each with everything under it (`BACKUP_SOURCES`);
   * empty: none. Whoever may enqueue a snapshot must not be able to archive `/etc` or another
   * application's data into `dir`.
   */
  sources: readonly string[];
  signal?: AbortSignal | undefined;
  progress?: ((progress: SnapshotProgress) => Promise<void> | void) | undefined;
  now?: (() => Date) | undefined;
}

/** A file-system error on the source: a missing path fails the job without retry, anything else as it is. */
const missing =
  (source: string) =>
  (error: NodeJS.ErrnoException): never => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR')
      throw new NonRetriableError(`Backup source ${source} does not exist`, { cause: error });
    throw error;
  };

const inside = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/**
 * `source` if it lies in one of `sources`, checked on the path as given and again with symlinks
 * resolved (a link inside an allowed directory may point out of it); the resolved path is what
 * gets archived. The path as given is checked before the file system is touched, so a refused
 * caller learns nothing about what exists outside.
 */
async function allowedSource(source: string, sources: readonly string[]): Promise<string> {
  const refuse = () =>
    new NonRetriableError(
      sources.length === 0
        ? `Backup source ${source} refused: BACKUP_SOURCES is not set, so no directory may be archived (set it to the directories backups may read, e.g. BACKUP_SOURCES=/srv/data${delimiter}/var/lib/app)`
        : `Backup source ${source} is not inside BACKUP_SOURCES (${sources.join(delimiter)})`,
    );
  const roots = sources.map((root) => resolve(root));
  if (!roots.some((root) => inside(source, root))) throw refuse();
  const real = await realpath(source).catch(missing(source));
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  if (!realRoots.some((root) => root !== undefined && inside(real, root))) throw refuse();
  return real;
}

async function assertDirectory(source: string): Promise<void> {
  const info = await stat(source).catch(missing(source));
  if (!info.isDirectory()) throw new NonRetriableError(`Backup source ${source} is not a directory`);
}

/** The archives of a set, oldest first (timestamped names sort chronologically). */
async function listArchives(setDir: string, name: string): Promise<string[]> {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}-${FILE_TIMESTAMP_PATTERN}\\.tar\\.gz$`);
  return (await readdir(setDir)).filter((file) => pattern.test(file)).sort();
}

/**
 * Deletes all but the newest `keepLast` archives of a set, with their `.sha256` sidecars, and
 * returns the deleted archive paths. `current` is always kept, even if a clock step made its name
 * sort before older ones.
 */
async function prune(setDir: string, name: string, current: string, keepLast: number): Promise<string[]> {
  const others = (await listArchives(setDir, name)).filter((file) => file !== current);
  const doomed = others.slice(0, Math.max(0, others.length - (keepLast - 1)));
  const pruned: string[] = [];
  for (const file of doomed) {
    const path = join(setDir, file);
    await rm(path, { force: true });
    await rm(`${path}.sha256`, { force: true });
    pruned.push(path);
  }
  return pruned;
}

/**
 * Archives `input.source` to `<dir>/<name>/<name>-<UTC timestamp>.tar.gz` (gzip, portable
 * headers, paths relative to the source), writes `<archive>.sha256` in `sha256sum` format
 * (`sha256sum -c` works from the set's directory), then keeps the newest `keepLast` archives of
 * the set. `files` counts regular files; directories and symlinks are archived but not counted.
 *
 * The archive is written to a temporary file and renamed, so a set never holds a partial archive.
 * A source outside `deps.sources`, missing or not a directory fails without retry. So does a
 * source that changes under the archiver so that an entry no longer lies inside it (a directory
 * swapped for a symlink after the scan): each entry is checked on the descriptor it is read from,
 * and nothing from outside the source reaches an archive. An abort stops the archive mid-stream.
 *
 * @example
 * const result = await snapshotDirectory({ source: '/srv/data', name: 'data', keepLast: 7 }, { dir: BACKUPS_DIR, sources: ['/srv'], signal });
 */
export async function snapshotDirectory(input: SnapshotInput, deps: SnapshotDeps): Promise<SnapshotResult> {
  const { signal } = deps;
  const report = async (progress: SnapshotProgress) => {
    signal?.throwIfAborted();
    await deps.progress?.(progress);
  };
  const source = await allowedSource(resolve(input.source), deps.sources);
  await assertDirectory(source);

  await report({ stage: 'scan' });
  // Backups kept inside the source would otherwise be archived into every later backup. The
  // source is a real path (symlinks resolved), so the backups directory must be one too.
  const backupsDir = await realpath(deps.dir).catch(() => resolve(deps.dir));
  const tree = await scanTree(source, { exclude: [backupsDir], signal });

  await report({ stage: 'archive', files: tree.files });
  const createdAt = deps.now?.() ?? new Date();
  const setDir = join(deps.dir, input.name);
  const fileName = `${input.name}-${fileTimestamp(createdAt)}.tar.gz`;
  const path = join(setDir, fileName);
  await withTempFile(path, async (tmp) => {
    // The scanned list makes `files` match the archive exactly. tar's Pack is not used: it reopens
    // each entry by path, following whatever symlink was swapped in since the scan.
    await pipeline(tarStream(source, tree.entries), createGzip(), createWriteStream(tmp, { flags: 'wx' }), { signal });
  });

  await report({ stage: 'checksum', files: tree.files });
  const [sha256, { size }] = await Promise.all([sha256File(path, signal), stat(path)]);
  await writeFileAtomic(`${path}.sha256`, `${sha256}  ${basename(path)}\n`);

  await report({ stage: 'prune', files: tree.files });
  const pruned = await prune(setDir, input.name, fileName, input.keepLast);
  return { path, sha256, bytes: size, files: tree.files, createdAt, pruned };
}
