import { z } from 'zod';
import { defineTask } from '../../contract/index.ts';

/**
 * Emails a reminder for each licence that expires within `remindWithinDays`, once per licence and
 * expiry date: later runs (it is meant to be scheduled) do not remind again; a renewed licence
 * (new expiry date) is reminded again when it comes due.
 */
export const licenseExpiry = defineTask({
  id: 'maintenance.licenseExpiry',
  version: 1,
  description: 'Remind licence holders once before their licence expires',
  input: z.object({
    licenses: z
      .array(
        z.object({
          id: z.string().min(1).max(200),
          holder: z.string().min(1).max(200),
          email: z.email(),
          expiresAt: z.date(),
        }),
      )
      .max(10_000),
    remindWithinDays: z.number().int().min(1).max(365).default(30),
    /** The instant to judge expiry against; the time of the run when omitted. */
    asOf: z.date().optional(),
  }),
  output: z.object({
    reminded: z.array(z.string()),
    alreadyReminded: z.array(z.string()),
    notDue: z.number().int().nonnegative(),
  }),
  logFields: ['remindWithinDays', 'asOf'],
  defaults: { attempts: 3, timeoutMs: 5 * 60_000 },
});
