import { defineTask, migration } from '@taskwire/shared';
import { z } from 'zod';
import { deliveryProgress, deliveryResult, emailDefaults } from './delivery.ts';

/** Version 1 took the inviter as a bare name; kept to upgrade v1 jobs still queued. */
const inviteV1Input = z.object({
  to: z.email(),
  inviterName: z.string().min(1).max(200),
  organization: z.string().min(1).max(200),
  role: z.enum(['member', 'admin']),
  acceptUrl: z.url({ protocol: /^https?$/ }),
});

/**
 * Invites someone to an organization. Version 2 names the inviter as `{ name, email? }`; the email,
 * when given, becomes the message's Reply-To.
 */
export const invite = defineTask({
  id: 'email.invite',
  version: 2,
  description: 'Send an invitation to join an organization',
  input: z.object({
    to: z.email(),
    inviter: z.object({ name: z.string().min(1).max(200), email: z.email().optional() }),
    organization: z.string().min(1).max(200),
    role: z.enum(['member', 'admin']),
    acceptUrl: z.url({ protocol: /^https?$/ }),
  }),
  output: deliveryResult,
  progress: deliveryProgress,
  defaults: emailDefaults,
  migrations: {
    1: migration(inviteV1Input, ({ inviterName, ...rest }) => ({ ...rest, inviter: { name: inviterName } })),
  },
});
