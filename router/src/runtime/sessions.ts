import { createHmac, timingSafeEqual } from 'node:crypto';
import { TaskwireError } from '@taskwire/shared';
import { type Authenticator, can, type Principal } from './auth.ts';
import type { QueueHub } from './hub.ts';
import { ServerSecrets } from './server-secrets.ts';

/** How dashboard sessions are signed and how long they last. */
export interface SessionOptions {
  /**
   * Secrets that sign session cookies (`TASKWIRE_SESSION_SECRET`, comma-separated, each at least
   * 32 characters): the first signs, all verify, so a secret is rotated by putting a new one in
   * front and dropping the old one a session length later. When none is configured, a random
   * secret is created in Redis on first use and shared by every replica; deleting that key
   * rotates it (every session ends within 30 s, as every replica reads it again).
   */
  secrets?: readonly string[] | undefined;
  /** How long a session lasts from its sign-in (ms); default 8 h. */
  lengthMs?: number | undefined;
}

export const DEFAULT_SESSION_MS = 8 * 3_600_000;

/** Clock difference between replicas tolerated for a session's issue time. */
const CLOCK_SKEW_MS = 60_000;

/** What a cookie turned out to be. `forged`: its signature is wrong (counted as a wrong credential). */
export type SessionCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'expired' | 'forged' | 'revoked' | 'unavailable' };

/** Parses `TASKWIRE_SESSION_SECRET`; throws on a secret too short to resist guessing. */
export function parseSessionSecrets(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const secrets = value.split(',').map((s) => s.trim());
  if (secrets.some((s) => s.length < 32))
    throw new Error('TASKWIRE_SESSION_SECRET: each secret (comma-separated) needs at least 32 characters');
  return secrets;
}

/**
 * Dashboard sessions: `v1.<issued at>.<base64url name>.<mac>`, the MAC an HMAC-SHA256 under a
 * server-side secret over the name, the issue time and the hash of the token signed in with.
 * A session is accepted only while the name still has that token and the `admin` scope in the
 * configuration of the moment, and only for {@link SessionOptions.lengthMs} after its issue
 * time (the server's clock decides; the cookie's own Max-Age is advice to the browser).
 *
 * Nothing a token holder knows (the token, its hash) signs a session, so holding any token, or
 * reading the configuration, is not enough to forge one.
 *
 * @example
 * const value = await sessions.issue(principal);
 * const check = await sessions.verify(value); // { ok: true, principal }
 */
export class DashboardSessions {
  readonly lengthMs: number;
  private readonly signing: ServerSecrets;

  constructor(
    hub: QueueHub,
    private readonly authenticator: Authenticator,
    options: SessionOptions = {},
    /** The API's secrets, when it shares them with its scoped tokens; else made from `options`. */
    secrets?: ServerSecrets,
  ) {
    this.lengthMs = options.lengthMs ?? DEFAULT_SESSION_MS;
    this.signing = secrets ?? new ServerSecrets(hub, options.secrets);
  }

  /** A cookie value for a principal that has just signed in with its token. */
  async issue(principal: Principal, now = Date.now()): Promise<string> {
    const configured = this.authenticator.byName(principal.name);
    if (!configured) throw new TaskwireError('UNAUTHORIZED', 'Unknown principal');
    const [secret] = await this.secrets();
    if (!secret) throw new TaskwireError('QUEUE_UNAVAILABLE', 'No session secret');
    const name = Buffer.from(principal.name).toString('base64url');
    return `v1.${now}.${name}.${mac(secret, principal.name, now, configured.sha256)}`;
  }

  /** Checks a cookie value against the secrets, the clock and the current token configuration. */
  async verify(value: string, now = Date.now()): Promise<SessionCheck> {
    const match = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{1,100})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match) return { ok: false, reason: 'malformed' };
    const issuedAt = Number(match[1]);
    const name = Buffer.from(match[2] as string, 'base64url').toString('utf8');
    if (issuedAt > now + CLOCK_SKEW_MS || now - issuedAt >= this.lengthMs) return { ok: false, reason: 'expired' };
    const configured = this.authenticator.byName(name);
    let secrets: string[];
    try {
      secrets = await this.secrets();
    } catch {
      return { ok: false, reason: 'unavailable' };
    }
    // The hash signed is the token's now (a name whose token changed fails as forged; it is
    // indistinguishable from a forgery, and the MAC is checked the same way for unknown names).
    const given = Buffer.from(match[3] as string);
    const signed = secrets.some((secret) => {
      const expected = Buffer.from(mac(secret, name, issuedAt, configured?.sha256 ?? ''));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!signed || !configured) return { ok: false, reason: 'forged' };
    if (!can(configured.principal, 'admin')) return { ok: false, reason: 'revoked' };
    return { ok: true, principal: configured.principal };
  }

  private secrets(): Promise<string[]> {
    return this.signing.list();
  }
}

function mac(secret: string, name: string, issuedAt: number, tokenSha256: string): string {
  return createHmac('sha256', secret).update(`v1\n${name}\n${issuedAt}\n${tokenSha256}`).digest('base64url');
}
