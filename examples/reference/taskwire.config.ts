/**
 * The reference deployment, as the binaries load it: `taskwire-api --config examples/reference/taskwire.config.ts`,
 * `taskwire-worker --config … --family email`, `taskwire contracts check --config …`.
 */
import { defineConfig } from '@taskwire/shared/node';
import { families } from './contracts/index.ts';
import { closeServices, familyHandlers } from './handlers/index.ts';
import { serviceConfig } from './services/config.ts';

export default defineConfig({
  registry: families,
  handlers: familyHandlers,
  // The services read their environment per job; a worker checks it once at start (exit 2 on a typo).
  checkEnv: (family) => {
    const services = serviceConfig();
    if (family === 'backups' && services.BACKUP_SOURCES.length === 0) {
      console.warn(
        JSON.stringify({
          level: 'warn',
          event: 'backups.no-sources',
          msg: 'BACKUP_SOURCES is not set: every backups.snapshot is refused until it names the directories backups may read',
        }),
      );
    }
  },
  close: closeServices,
});
