import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** The kinds of entry a scan lists; anything else (sockets, FIFOs, devices) is skipped. */
export type EntryKind = 'directory' | 'file' | 'symlink';

/** One entry of a scanned tree. */
export interface TreeEntry {
  /** Relative to the root, with `/`. */
  path: string;
  /** What the entry was when it was listed; a reader can tell when it has since changed. */
  kind: EntryKind;
}

/** What {@link scanTree} found. */
export interface TreeScan {
  /** Directories, regular files and symlinks, parents first, sorted. */
  entries: TreeEntry[];
  /** Regular files among the entries. */
  files: number;
}

export interface ScanOptions {
  /** Absolute paths of directories to leave out, with everything below them. */
  exclude?: readonly string[];
  signal?: AbortSignal | undefined;
}

/**
 * Lists a directory tree for archiving. Symlinks are listed, not followed (a link to `/` must not
 * pull the whole disk into a backup); sockets, FIFOs and devices are skipped, since an archive
 * cannot restore them meaningfully. The order is stable, so the same tree gives the same archive.
 *
 * @example
 * const { entries, files } = await scanTree('/srv/data', { exclude: ['/srv/data/backups'] });
 * // entries: [{ path: 'docs', kind: 'directory' }, { path: 'docs/a.txt', kind: 'file' }, …]
 */
export async function scanTree(root: string, options: ScanOptions = {}): Promise<TreeScan> {
  const excluded = new Set(options.exclude ?? []);
  const entries: TreeEntry[] = [];
  let files = 0;
  const walk = async (dir: string, relative: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const children = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const absolute = join(dir, child.name);
      const path = relative ? posix.join(relative, child.name) : child.name;
      if (child.isDirectory()) {
        if (excluded.has(absolute)) continue;
        entries.push({ path, kind: 'directory' });
        await walk(absolute, path);
      } else if (child.isFile()) {
        entries.push({ path, kind: 'file' });
        files += 1;
      } else if (child.isSymbolicLink()) {
        entries.push({ path, kind: 'symlink' });
      }
    }
  };
  await walk(root, '');
  return { entries, files };
}
