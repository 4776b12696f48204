import type { FamilyHandlers } from '@taskwire/worker';
import type { Families } from '../contracts/index.ts';
import { closeMailTransports } from '../services/mailer.ts';
import { backupsHandlers } from './backups.ts';
import { emailHandlers } from './email.ts';
import { maintenanceHandlers } from './maintenance.ts';
import { reportsHandlers } from './reports.ts';

export { backupsHandlers, emailHandlers, maintenanceHandlers, reportsHandlers };

/**
 * The handlers of every family of the reference registry; a family without handlers (or handlers
 * for a family that does not exist) does not compile.
 *
 * @example
 * await startFamilyWorker({ handlers: familyHandlers.email, redisUrl, registry: families });
 */
export const familyHandlers = {
  email: emailHandlers,
  reports: reportsHandlers,
  backups: backupsHandlers,
  maintenance: maintenanceHandlers,
} satisfies { [F in keyof Families]: FamilyHandlers<Families[F]> };

/** Releases what the services keep open between jobs (pooled SMTP connections); call after the workers close. */
export function closeServices(): void {
  closeMailTransports();
}
