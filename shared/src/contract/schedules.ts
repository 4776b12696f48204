import { z } from 'zod';
import { MAX_PRIORITY } from './jobs.ts';
import type { AnyTask } from './task.ts';

/** A schedule's key: unique per task. */
export const scheduleKeySchema = z.string().regex(/^[a-zA-Z0-9._-]{1,100}$/, 'letters, digits, . _ - (1–100)');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const fields = {
  key: scheduleKeySchema,
  /** Options of every job the schedule adds (overriding the contract defaults). */
  options: z
    .strictObject({
      priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
      attempts: z.number().int().min(1).max(1_000).optional(),
      timeoutMs: z.number().int().min(1).optional(),
    })
    .optional(),
};

/** When a schedule runs: a cron pattern (with an optional IANA time zone), or every N ms. */
const timing = z.union(
  [
    z.object({
      cron: z.string().min(9).max(120),
      tz: z.string().min(1).max(64).refine(isTimeZone, 'unknown IANA time zone').optional(),
      everyMs: z.undefined().optional(),
    }),
    z.object({ everyMs: z.number().int().min(1_000), cron: z.undefined().optional(), tz: z.undefined().optional() }),
  ],
  { error: 'give exactly one of cron or everyMs (tz goes with cron)' },
);

/**
 * What `schedules.upsert` takes for a task whose input schema is `input`: a key, `cron` (with an
 * optional `tz`) or `everyMs`, the task input, and job options. The fields and the timing are
 * checked apart, so an invalid input is reported at its own path whichever timing it comes with.
 *
 * @example
 * const upsert = scheduleInput(cleanJobs.input);
 * upsert.parse({ key: 'nightly', cron: '0 3 * * *', tz: 'Europe/Paris', input: { olderThanMs: 86_400_000 } });
 */
export function scheduleInput<TInput extends z.ZodType>(input: TInput) {
  return z.intersection(z.object({ ...fields, input }), timing);
}

/** What `schedules.upsert` takes for a task (see {@link scheduleInput}). */
export type ScheduleInput<TTask extends AnyTask> = z.input<ReturnType<typeof scheduleInput<TTask['input']>>>;
