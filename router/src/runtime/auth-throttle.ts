import { TaskwireError } from '@taskwire/shared';
import type { QueueHub } from './hub.ts';

/** How many wrong credentials an address may present before it is locked out, and for how long. */
export interface AuthThrottleOptions {
  /** Wrong tokens (bearer, WebSocket, sign-in form) per address and window; default 10. */
  maxFailures: number;
  /** The window, and the longest lock-out (ms); default 60,000. */
  windowMs: number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = { maxFailures: 10, windowMs: 60_000 };

/** Addresses remembered in this process at most; older windows are dropped first. */
const LOCAL_LIMIT = 10_000;

/**
 * Counts wrong credentials per client address in fixed windows, in Redis so that every API
 * replica adds to the same count. Once an address reaches the limit, every credentialed request
 * from it is refused with TOO_MANY_REQUESTS until the window ends, right tokens included: a
 * guesser must not learn which guess was right from a different answer.
 *
 * A process also keeps its own counts, so a lock-out holds here while Redis is away; when Redis
 * cannot be read the check lets the request through to the token check (the request needs Redis
 * for anything else anyway).
 *
 * @example
 * await throttle.check(address);            // throws TOO_MANY_REQUESTS while locked out
 * if (!valid) await throttle.failed(address);
 */
export class AuthThrottle {
  readonly options: AuthThrottleOptions;
  private readonly local = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly hub: QueueHub,
    options: Partial<AuthThrottleOptions> = {},
  ) {
    this.options = { ...DEFAULT_AUTH_THROTTLE, ...options };
  }

  /** Throws TOO_MANY_REQUESTS while the address is locked out. */
  async check(address: string): Promise<void> {
    const window = this.window();
    const known = this.local.get(address);
    if (known && known.window === window && known.count >= this.options.maxFailures) throw this.lockedOut();
    let shared: number;
    try {
      shared = Number((await this.hub.run(() => this.hub.redis.get(this.hub.keys.authFailures(address, window)))) ?? 0);
    } catch {
      return;
    }
    if (shared >= this.options.maxFailures) {
      this.remember(address, window, shared);
      throw this.lockedOut();
    }
  }

  /** Counts one wrong credential from the address (here and in Redis). */
  async failed(address: string): Promise<void> {
    const window = this.window();
    const known = this.local.get(address);
    const count = known && known.window === window ? known.count + 1 : 1;
    this.remember(address, window, count);
    const key = this.hub.keys.authFailures(address, window);
    try {
      const [[, shared] = []] =
        (await this.hub.run(() =>
          this.hub.redis
            .multi()
            .incr(key)
            .pexpire(key, this.options.windowMs * 2)
            .exec(),
        )) ?? [];
      this.remember(address, window, Math.max(count, Number(shared) || 0));
    } catch {
      // Counted here at least; Redis counts again once it answers.
    }
  }

  private window(): number {
    return Math.floor(Date.now() / this.options.windowMs);
  }

  private remember(address: string, window: number, count: number): void {
    if (this.local.size >= LOCAL_LIMIT && !this.local.has(address)) {
      for (const [key, entry] of this.local) if (entry.window !== window) this.local.delete(key);
      if (this.local.size >= LOCAL_LIMIT) this.local.delete(this.local.keys().next().value as string);
    }
    this.local.set(address, { window, count });
  }

  private lockedOut(): TaskwireError {
    const retryInMs = this.options.windowMs - (Date.now() % this.options.windowMs);
    return new TaskwireError('TOO_MANY_REQUESTS', `Too many failed sign-ins from this address; retry in ${Math.ceil(retryInMs / 1_000)} s`);
  }
}
