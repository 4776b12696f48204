import { constants, existsSync, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NonRetriableError } from '@taskwire/shared';
import type { TreeEntry } from './scan-tree.ts';

/** An entry opened by {@link openInside}: a file comes with its open handle, which the caller closes. */
export type OpenedEntry =
  | { kind: 'directory'; stats: Stats }
  | { kind: 'file'; stats: Stats; handle: FileHandle }
  | { kind: 'symlink'; stats: Stats; target: string };

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;

// procfs names the path an open descriptor is at now, and `/proc/self/fd/<dir fd>/<name>` resolves
// `name` in the directory that descriptor is open on: the only race-free checks Node can make.
const procfs = existsSync('/proc/self/fd');

const changed = (root: string, entry: TreeEntry, cause?: unknown) =>
  new NonRetriableError(
    `Backup source ${root}: ${entry.path} changed while it was archived (replaced, or reached through a symlink since the scan); no archive was written`,
    { cause },
  );

/**
 * Whether `handle` is open on the file at `path` (a real path) right now. Without procfs (macOS)
 * the path must still resolve to itself and to the opened inode, which a second swap timed
 * between those calls could slip past.
 */
async function isAt(handle: FileHandle, path: string): Promise<boolean> {
  if (procfs) return (await readlink(`/proc/self/fd/${handle.fd}`)) === path;
  const [real, now, opened] = await Promise.all([realpath(path).catch(() => ''), stat(path).catch(() => undefined), handle.stat()]);
  return real === path && now?.dev === opened.dev && now.ino === opened.ino;
}

/** Opens `path` without following a final symlink and checks that the handle is at `path`. */
async function openAt(path: string, flags: number, fail: (cause?: unknown) => Error): Promise<FileHandle> {
  const handle = await open(path, O_RDONLY | O_NOFOLLOW | flags).catch((error: NodeJS.ErrnoException) => {
    // ELOOP: the entry is now a symlink; ENOTDIR: it, or a directory above it, no longer is a directory.
    throw error.code === 'ELOOP' || error.code === 'ENOTDIR' ? fail(error) : error;
  });
  try {
    if (await isAt(handle, path)) return handle;
    throw fail();
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A symlink cannot be opened without following it, so its directory is opened and checked, and the link is read through it. */
async function readLinkInside(path: string, fail: (cause?: unknown) => Error): Promise<OpenedEntry> {
  const dir = await openAt(dirname(path), O_DIRECTORY, fail);
  try {
    const link = join(procfs ? `/proc/self/fd/${dir.fd}` : dirname(path), basename(path));
    const stats = await lstat(link);
    if (!stats.isSymbolicLink()) throw fail();
    const target = await readlink(link);
    if (!procfs && !(await isAt(dir, dirname(path)))) throw fail();
    return { kind: 'symlink', stats, target };
  } finally {
    await dir.close();
  }
}

/**
 * Opens a scanned entry of `root` (a real path) for archiving, proving at that moment that it lies
 * inside `root` and is still the kind the scan saw. The proof is made on the open descriptor, so
 * what is read afterwards is what was checked, whatever is swapped in meanwhile. An entry that
 * fails it (a directory above it swapped for a symlink, the entry itself replaced) throws a
 * NonRetriableError: it is an attack or a concurrent change, and must not reach the archive.
 * A vanished entry throws the file system's ENOENT, which a retry with a fresh scan can get past.
 *
 * @example
 * const opened = await openInside('/srv/data', { path: 'docs/a.txt', kind: 'file' });
 * if (opened.kind === 'file') try { await opened.handle.read(buffer) } finally { await opened.handle.close() }
 */
export async function openInside(root: string, entry: TreeEntry): Promise<OpenedEntry> {
  const path = join(root, entry.path);
  const fail = (cause?: unknown) => changed(root, entry, cause);
  if (entry.kind === 'symlink') return readLinkInside(path, fail);
  // O_NONBLOCK: a FIFO swapped in for a file would block the open forever; regular files ignore it.
  const handle = await openAt(path, entry.kind === 'directory' ? O_DIRECTORY : O_NONBLOCK, fail);
  const stats = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (entry.kind === 'file' && stats.isFile()) return { kind: 'file', stats, handle };
  await handle.close();
  if (entry.kind === 'directory' && stats.isDirectory()) return { kind: 'directory', stats };
  throw fail();
}
