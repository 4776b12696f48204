import { defineTask } from '@taskwire/shared';
import { z } from 'zod';

/**
 * Removes finished jobs older than a given age from every (or some) family queue. The caller
 * needs `<family>:enqueue` for every family it names (`*:enqueue` or `admin` when it names none).
 */
export const cleanJobs = defineTask({
  id: 'maintenance.cleanJobs',
  version: 1,
  description: 'Remove finished jobs older than a given age',
  input: z.object({
    olderThanMs: z.number().int().min(0),
    states: z
      .array(z.enum(['completed', 'failed']))
      .min(1)
      .default(['completed']),
    /** Families to clean; all when omitted. */
    families: z.array(z.string().min(1)).min(1).optional(),
    /** Upper bound of jobs removed per family and state, so one run stays short. */
    limit: z.number().int().min(1).max(1_000_000).default(10_000),
  }),
  output: z.object({
    removed: z.record(z.string(), z.number().int().nonnegative()),
    total: z.number().int().nonnegative(),
  }),
  logFields: ['olderThanMs', 'states', 'families', 'limit'],
  // Cleaning removes other families' jobs: the caller must be allowed to remove them.
  requiredScopes: (input) => (input.families ?? ['*']).map((family) => `${family}:enqueue` as const),
  defaults: { attempts: 3, timeoutMs: 5 * 60_000 },
});
