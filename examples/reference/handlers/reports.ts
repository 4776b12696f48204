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
  generate: (input, ctx) => {
    const { REPORTS_DIR, REPORTS_MIN_STEP_MS } = serviceConfig();
    return generateActivityReport(input, {
      registry: ctx.registry,
      queue: ctx.queue,
      dir: REPORTS_DIR,
      signal: ctx.signal,
      progress: ctx.progress,
      minStepMs: REPORTS_MIN_STEP_MS,
      step: (name, fn) => ctx.step(name, fn),
    });
  },
});
