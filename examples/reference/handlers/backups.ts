import { defineHandlers } from '@taskwire/worker';
import { backups } from '../contracts/index.ts';
import { snapshotDirectory } from '../services/backups.ts';
import { serviceConfig } from '../services/config.ts';

/**
 * The backups family: `.tar.gz` snapshots with checksum and retention under `BACKUPS_DIR`, of
 * directories inside `BACKUP_SOURCES`.
 *
 * @example
 * await startFamilyWorker({ handlers: backupsHandlers, redisUrl });
 */
export const backupsHandlers = defineHandlers(backups, {
  snapshot: (input, ctx) => {
    const { BACKUPS_DIR, BACKUP_SOURCES } = serviceConfig();
    return snapshotDirectory(input, { dir: BACKUPS_DIR, sources: BACKUP_SOURCES, signal: ctx.signal, progress: ctx.progress });
  },
});
