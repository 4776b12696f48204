import { defineTask } from '@taskwire/shared';
import { z } from 'zod';

export const REPORT_STAGES = ['collect', 'aggregate', 'render', 'write', 'checksum'] as const;

/**
 * A CSV report of job activity (jobs finished per time bucket, family, task and outcome, with
 * mean and max duration) over a date range. The caller needs `<family>:read` for every family
 * reported on (`*:read` or `admin` when it names none).
 */
export const generateReport = defineTask({
  id: 'reports.generate',
  version: 1,
  description: 'Generate a CSV report of job activity over a date range',
  input: z
    .object({
      title: z.string().min(1).max(200),
      from: z.date(),
      to: z.date(),
      bucket: z.enum(['hour', 'day']).default('day'),
      /** Families to include; all when omitted. */
      families: z.array(z.string().min(1)).min(1).optional(),
    })
    .refine((r) => r.from.getTime() <= r.to.getTime(), { message: 'from must not be after to', path: ['to'] }),
  output: z.object({
    path: z.string(),
    rows: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[a-f0-9]{64}$/),
  }),
  progress: z.object({
    step: z.number().int().positive(),
    of: z.number().int().positive(),
    stage: z.enum(REPORT_STAGES),
    detail: z.string().optional(),
  }),
  logFields: ['title', 'from', 'to', 'bucket', 'families'],
  // The report shows other families' activity: the caller must be allowed to read it.
  requiredScopes: (input) => (input.families ?? ['*']).map((family) => `${family}:read` as const),
  defaults: { attempts: 3, timeoutMs: 10 * 60_000, backoff: { type: 'exponential', delayMs: 5_000 } },
});
