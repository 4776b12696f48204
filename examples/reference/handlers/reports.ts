import { defineHandlers } from '@taskwire/worker';
import { reports } from '../contracts/index.ts';
import { serviceConfig } from '../services/config.ts';
import { generateActivityReport } from '../services/reports.ts';

/**
 * The reports family: job-activity CSV reports into `REPORTS_DIR`.
 *
 * @example
 * await startFamilyWorker({ handlers: reportsHandlers, redisUrl, registry: families });
 */
export const reportsHandlers = defineHandlers(reports, {
  generate: (input, ctx) =>
    generateActivityReport(input, {
      registry: ctx.registry,
      queue: ctx.queue,
      dir: serviceConfig().REPORTS_DIR,
      signal: ctx.signal,
      progress: ctx.progress,
    }),
});
