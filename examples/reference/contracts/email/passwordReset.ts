import { defineTask } from '@taskwire/shared';
import { z } from 'zod';
import { deliveryProgress, deliveryResult, emailDefaults } from './delivery.ts';

/** Sends a password-reset link that stops working at `expiresAt`. */
export const passwordReset = defineTask({
  id: 'email.passwordReset',
  version: 1,
  description: 'Send a password-reset email',
  input: z.object({
    to: z.email(),
    name: z.string().min(1).max(200),
    resetUrl: z.url({ protocol: /^https?$/ }),
    expiresAt: z.date(),
  }),
  output: deliveryResult,
  progress: deliveryProgress,
  defaults: emailDefaults,
});
