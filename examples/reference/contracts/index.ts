import { defineRegistry } from '@taskwire/shared';
import { backups } from './backups/index.ts';
import { email } from './email/index.ts';
import { maintenance } from './maintenance/index.ts';
import { reports } from './reports/index.ts';

export * from './backups/index.ts';
export * from './email/index.ts';
export * from './maintenance/index.ts';
export * from './reports/index.ts';

/** The reference task set: the families this deployment serves. */
export const families = defineRegistry({ email, reports, backups, maintenance });
export type Families = typeof families;
