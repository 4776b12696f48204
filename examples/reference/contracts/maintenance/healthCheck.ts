import { defineTask } from '@taskwire/shared';
import { z } from 'zod';

/** A round trip through the queue and a worker: proves the pipeline end to end. */
export const healthCheck = defineTask({
  id: 'maintenance.healthCheck',
  version: 1,
  description: 'Round trip through the queue and a worker',
  input: z.object({ nonce: z.string().min(1).max(128), sentAt: z.date() }),
  output: z.object({
    nonce: z.string(),
    sentAt: z.date(),
    receivedAt: z.date(),
    /** ms between `sentAt` and the handler starting. */
    queueLatencyMs: z.number().nonnegative(),
    worker: z.object({ pid: z.number().int(), host: z.string() }),
  }),
  logFields: ['nonce', 'sentAt'],
  defaults: { attempts: 1, timeoutMs: 5_000 },
});
