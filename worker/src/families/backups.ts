import { backups } from '@taskwire/shared/tasks';
import { defineHandlers } from '../runtime/handlers.ts';
import { snapshotDirectory } from '../services/backups.ts';
import { serviceConfig } from '../services/config.ts';

/**
 * The backups family: `.tar.gz` snapshots with checksum and retention under `BACKUPS_DIR`.
 *
 * @example
 * await startFamilyWorker({ handlers: backupsHandlers, redisUrl });
 */
export const backupsHandlers = defineHandlers(backups, {
  snapshot: (input, ctx) => snapshotDirectory(input, { dir: serviceConfig().BACKUPS_DIR, signal: ctx.signal, progress: ctx.progress }),
});
