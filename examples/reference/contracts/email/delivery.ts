import { z } from 'zod';

/** What every email task returns: where the message went and under which id. */
export const deliveryResult = z.object({
  messageId: z.string(),
  acceptedAt: z.date(),
  accepted: z.array(z.string()),
  /** `smtp` when SMTP_URL is configured, otherwise `outbox` (an .eml file on disk). */
  transport: z.enum(['smtp', 'outbox']),
  /** The .eml file, for the outbox transport. */
  outboxPath: z.string().optional(),
});

export const deliveryProgress = z.object({ stage: z.enum(['render', 'deliver']) });

export const emailDefaults = {
  attempts: 5,
  backoff: { type: 'exponential', delayMs: 2_000 },
  timeoutMs: 30_000,
} as const;
