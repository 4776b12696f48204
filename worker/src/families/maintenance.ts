import { maintenance } from '@taskwire/shared/tasks';
import { defineHandlers } from '../runtime/handlers.ts';
import { cleanFinishedJobs } from '../services/clean-jobs.ts';
import { answerHealthCheck } from '../services/health.ts';
import { remindExpiringLicenses } from '../services/licenses.ts';
import { mailerOptions } from '../services/mailer.ts';

/**
 * The maintenance family: health round trips, finished-job cleanup across families, and
 * licence-expiry reminders.
 *
 * @example
 * await startFamilyWorker({ handlers: maintenanceHandlers, redisUrl, registry: families });
 */
export const maintenanceHandlers = defineHandlers(maintenance, {
  healthCheck: (input) => answerHealthCheck(input),
  cleanJobs: (input, ctx) => cleanFinishedJobs(input, { registry: ctx.registry, queue: ctx.queue, signal: ctx.signal }),
  licenseExpiry: (input, ctx) =>
    remindExpiringLicenses(input, { redis: ctx.redis, keys: ctx.keys, mailer: mailerOptions(), signal: ctx.signal }),
});
