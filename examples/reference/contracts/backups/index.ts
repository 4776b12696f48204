import { defineFamily } from '@taskwire/shared';
import { snapshot } from './snapshot.ts';

export { snapshot };

export const backups = defineFamily('backups', { snapshot }, { concurrency: 1, lockDurationMs: 60_000 });
