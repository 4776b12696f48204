import type { FileHandle } from 'node:fs/promises';
import { Header, type HeaderData, Pax } from 'tar';
import { openInside } from './open-inside.ts';
import type { TreeEntry } from './scan-tree.ts';

const BLOCK = 512;
const CHUNK = 1024 * 1024;

/**
 * tar's portable mode bits: group and others never write, the owner always reads and writes, a
 * readable directory is listable.
 */
function portableMode(mode: number, directory: boolean): number {
  const fixed = ((mode & 0o7777) | 0o600) & ~0o22;
  return directory ? fixed | ((fixed & 0o444) >> 2) : fixed;
}

/** An entry's header, after a pax header when a field (a long or non-ASCII path) does not fit ustar. */
function headerBlocks(data: HeaderData): Buffer {
  const block = Buffer.alloc(BLOCK);
  const needsPax = new Header(data).encode(block);
  if (!needsPax) return block;
  const { path, linkpath, size, mtime } = data;
  return Buffer.concat([new Pax({ path, linkpath, size, mtime }).encode(), block]);
}

/** `size` bytes of an open file, padded to whole blocks. A file that shrinks meanwhile fails (a retry reads it again). */
async function* fileData(handle: FileHandle, size: number, path: string): AsyncGenerator<Buffer> {
  for (let position = 0; position < size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) throw new Error(`Backup source file ${path} shrank while it was archived`);
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
  if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
}

/**
 * The uncompressed tar of `entries` (from {@link scanTree}) under `root`, a real path, in order.
 * Each entry's header and data come from a descriptor {@link openInside} has just checked to lie
 * inside `root`, so a directory swapped for a symlink after the scan fails the stream instead of
 * pulling outside files in. Headers are what tar's `portable: true` writes (no owner, no
 * directory mtimes); a hard link already archived becomes a link entry, as in tar.
 *
 * @example
 * const { entries } = await scanTree('/srv/data');
 * await pipeline(tarStream('/srv/data', entries), createGzip(), createWriteStream('/backups/data.tar.gz'));
 */
export async function* tarStream(root: string, entries: readonly TreeEntry[]): AsyncGenerator<Buffer> {
  const archivedAt = new Map<string, string>();
  for (const entry of entries) {
    const opened = await openInside(root, entry);
    const { path } = entry;
    const { stats } = opened;
    if (opened.kind === 'directory') {
      yield headerBlocks({ path: `${path}/`, type: 'Directory', mode: portableMode(stats.mode, true), size: 0 });
      continue;
    }
    const common = { path, mode: portableMode(stats.mode, false), mtime: stats.mtime };
    if (opened.kind === 'symlink') {
      yield headerBlocks({ ...common, type: 'SymbolicLink', linkpath: opened.target, size: 0 });
      continue;
    }
    try {
      const inode = `${stats.dev}:${stats.ino}`;
      const first = stats.nlink > 1 ? archivedAt.get(inode) : undefined;
      if (first !== undefined) {
        yield headerBlocks({ ...common, type: 'Link', linkpath: first, size: 0 });
        continue;
      }
      if (stats.nlink > 1) archivedAt.set(inode, path);
      yield headerBlocks({ ...common, type: 'File', size: stats.size });
      yield* fileData(opened.handle, stats.size, path);
    } finally {
      await opened.handle.close();
    }
  }
  // Two zero blocks end a tar archive.
  yield Buffer.alloc(2 * BLOCK);
}
