import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** What {@link scanTree} found. */
export interface TreeScan {
  /** Directories, regular files and symlinks, relative to the root with `/`, parents first, sorted. */
  entries: string[];
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
 */
export async function scanTree(root: string, options: ScanOptions = {}): Promise<TreeScan> {
  const excluded = new Set(options.exclude ?? []);
  const entries: string[] = [];
  let files = 0;
  const walk = async (dir: string, relative: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const children = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const absolute = join(dir, child.name);
      const path = relative ? posix.join(relative, child.name) : child.name;
      if (child.isDirectory()) {
        if (excluded.has(absolute)) continue;
        entries.push(path);
        await walk(absolute, path);
      } else if (child.isFile()) {
        entries.push(path);
        files += 1;
      } else if (child.isSymbolicLink()) {
        entries.push(path);
      }
    }
  };
  await walk(root, '');
  return { entries, files };
}
