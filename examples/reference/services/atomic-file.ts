import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A hidden sibling of `path` (same directory, hence same filesystem, so the final rename is
 * atomic). The random part keeps concurrent writers of the same target apart.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Produces `path` atomically: `write` fills a temporary sibling, which is flushed to disk and
 * renamed over `path`. Readers see the old file or the complete new one, never a partial one;
 * on failure (or abort) the temporary file is removed and `path` is untouched.
 *
 * @example
 * await withTempFile('/var/reports/a.csv', (tmp) => writeFile(tmp, csv, { flag: 'wx' }));
 */
export async function withTempFile(path: string, write: (tmpPath: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    // Without the flush a crash right after the rename can leave an empty file under the final name.
    const handle = await open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Writes `data` to `path` atomically (see {@link withTempFile}), creating the directory.
 *
 * @example
 * await writeFileAtomic(join(dir, 'message.eml'), buffer, signal);
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, signal?: AbortSignal): Promise<void> {
  return withTempFile(path, (tmp) => writeFile(tmp, data, { flag: 'wx', signal }));
}
