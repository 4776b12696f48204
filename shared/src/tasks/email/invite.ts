import { z } from 'zod';
import { defineTask } from '../../contract/index.ts';
import { deliveryProgress, deliveryResult, emailDefaults } from './delivery.ts';

/** Invites someone to an organization. */
export const invite = defineTask({
  id: 'email.invite',
  version: 1,
  description: 'Send an invitation to join an organization',
  input: z.object({
    to: z.email(),
    inviterName: z.string().min(1).max(200),
    organization: z.string().min(1).max(200),
    role: z.enum(['member', 'admin']),
    acceptUrl: z.url({ protocol: /^https?$/ }),
  }),
  output: deliveryResult,
  progress: deliveryProgress,
  defaults: emailDefaults,
});
