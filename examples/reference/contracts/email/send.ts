import { defineTask } from '@taskwire/shared';
import { z } from 'zod';
import { deliveryProgress, deliveryResult, emailDefaults } from './delivery.ts';

/** Sends one email with the caller's subject and body. */
export const sendEmail = defineTask({
  id: 'email.send',
  version: 1,
  description: 'Send an email',
  input: z.object({
    to: z.email(),
    cc: z.array(z.email()).max(50).optional(),
    subject: z.string().min(1).max(998),
    html: z.string().max(1_000_000),
    text: z.string().max(1_000_000).optional(),
    /** The message's Date header; defaults to the time of delivery. */
    sendAt: z.date().optional(),
  }),
  output: deliveryResult,
  progress: deliveryProgress,
  defaults: emailDefaults,
});
