import { randomBytes } from 'node:crypto';
import { TaskwireError } from '@taskwire/shared';
import type { QueueHub } from './hub.ts';

/** How long a replica keeps the Redis-held secret before reading it again. */
export const SECRET_REFRESH_MS = 30_000;

/**
 * The API's server-side signing secrets, which no token holder knows: the configured ones
 * (`TASKWIRE_SESSION_SECRET`, comma-separated; the first signs, all verify), else one random
 * secret created in Redis on first use and shared by every replica (deleting the key rotates it:
 * every replica reads the new one within {@link SECRET_REFRESH_MS}). Dashboard sessions and
 * scoped tokens are signed with them, each over its own domain-separated message.
 *
 * @example
 * const [signing] = await secrets.list();
 */
export class ServerSecrets {
  private stored: { secret: string; readAt: number } | undefined;

  constructor(
    private readonly hub: QueueHub,
    private readonly configured: readonly string[] | undefined = undefined,
  ) {}

  /** The secrets, the signing one first. */
  async list(): Promise<string[]> {
    if (this.configured?.length) return [...this.configured];
    if (this.stored && Date.now() - this.stored.readAt < SECRET_REFRESH_MS) return [this.stored.secret];
    const key = this.hub.keys.sessionSecret();
    const secret = await this.hub.run(async () => {
      await this.hub.redis.set(key, randomBytes(32).toString('base64url'), 'NX');
      return this.hub.redis.get(key);
    });
    if (!secret) throw new TaskwireError('QUEUE_UNAVAILABLE', 'The signing secret vanished while it was read');
    this.stored = { secret, readAt: Date.now() };
    return [secret];
  }
}
