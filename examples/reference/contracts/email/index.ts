import { defineFamily } from '@taskwire/shared';
import { invite } from './invite.ts';
import { passwordReset } from './passwordReset.ts';
import { sendEmail } from './send.ts';

export { invite, passwordReset, sendEmail };

export const email = defineFamily(
  'email',
  { send: sendEmail, passwordReset, invite },
  { concurrency: 16, rateLimit: { max: 50, durationMs: 1_000 } },
);
