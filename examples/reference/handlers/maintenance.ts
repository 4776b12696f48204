import { defineHandlers } from '@taskwire/worker';
import { maintenance } from '../contracts/index.ts';
import { cleanFinishedJobs } from '../services/clean-jobs.ts';
import { serviceConfig } from '../services/config.ts';
import { answerHealthCheck } from '../services/health.ts';
import { remindExpiringLicenses } from '../services/licenses.ts';

/**
 * The maintenance family: health round trips, finished-job cleanup across families, and
 * licence-expiry reminders (sent as `email.send` jobs, to the holders of `LICENSES_FILE`).
 *
 * @example
 * await startFamilyWorker({ handlers: maintenanceHandlers, redisUrl, registry: families });
 */
export const maintenanceHandlers = defineHandlers(maintenance, {
  healthCheck: (input) => answerHealthCheck(input),
  cleanJobs: (input, ctx) => cleanFinishedJobs(input, { registry: ctx.registry, queue: ctx.queue, signal: ctx.signal }),
  licenseExpiry: (input, ctx) =>
    remindExpiringLicenses(input, {
      redis: ctx.redis,
      keys: ctx.keys,
      licensesFile: serviceConfig().LICENSES_FILE,
      enqueue: ctx.enqueue,
      log: ctx.log,
      signal: ctx.signal,
    }),
});
