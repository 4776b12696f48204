import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The sha256 of a file as lowercase hex, read as a stream (archives may not fit in memory).
 * Reading back what was written also proves the bytes on disk are the ones reported.
 *
 * @example
 * const digest = await sha256File('/var/backups/db/db-2025-01-01T00-00-00-000Z.tar.gz', signal);
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
