import { defineTask, migration } from '@taskwire/shared';
import { z } from 'zod';

/**
 * Version 1 carried the licences (recipients included) in the job; kept to upgrade v1 jobs still
 * queued, whose licences are dropped: recipients only ever come from the worker's licence data.
 */
const licenseExpiryV1Input = z.object({
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
  asOf: z.date().optional(),
});

/**
 * Reminds each licence holder once before the licence expires: for every licence of the worker's
 * licence file (`LICENSES_FILE`) that expires within `remindWithinDays` of the run, an `email.send`
 * job, so reminders go out under the email family's rate limit and delivery record. Once per
 * licence and expiry date: later runs (it is meant to be scheduled) do not remind again; a renewed
 * licence (new expiry date) is reminded again when it comes due.
 *
 * Version 2 takes no recipients: whoever may enqueue maintenance work cannot choose who is
 * mailed, nor what the message says. The input is strict, so a caller still sending v1's
 * `licenses` is refused with INVALID_INPUT rather than silently ignored.
 */
export const licenseExpiry = defineTask({
  id: 'maintenance.licenseExpiry',
  version: 2,
  description: 'Remind licence holders once before their licence expires',
  input: z.strictObject({
    remindWithinDays: z.number().int().min(1).max(365).default(30),
  }),
  output: z.object({
    reminded: z.array(z.string()),
    alreadyReminded: z.array(z.string()),
    notDue: z.number().int().nonnegative(),
    /** The public ids of the `email.send` jobs of the reminders in `reminded`, in the same order. */
    emails: z.array(z.string()),
  }),
  logFields: ['remindWithinDays'],
  defaults: { attempts: 3, timeoutMs: 5 * 60_000 },
  migrations: {
    1: migration(licenseExpiryV1Input, (old) => ({ remindWithinDays: old.remindWithinDays })),
  },
});
