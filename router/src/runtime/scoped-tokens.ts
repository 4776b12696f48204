import { createHmac, timingSafeEqual } from 'node:crypto';
import { type NarrowScope, type Registry, type ScopedToken, TaskwireError } from '@taskwire/shared';
import { z } from 'zod';
import { can, type Principal, requireScope } from './auth.ts';
import type { ServerSecrets } from './server-secrets.ts';

/** What every scoped token starts with: tells it from a configured token before any lookup. */
export const SCOPED_TOKEN_PREFIX = 'twt_';
/** The longest life a scoped token may be given, and the default. */
export const MAX_SCOPED_TOKEN_MS = 24 * 3_600_000;
export const DEFAULT_SCOPED_TOKEN_MS = 10 * 60_000;
/** Clock difference between replicas tolerated for a token's issue time. */
const CLOCK_SKEW_MS = 60_000;

const NARROW = /^(job:[a-z][a-zA-Z0-9]*\.[A-Za-z0-9_-]{1,100}:read|task:[a-z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9]*:enqueue)$/;

export const scopedTokenRequest = z.object({
  scopes: z.array(z.string().regex(NARROW, "expected 'job:<family>.<id>:read' or 'task:<family>.<task>:enqueue'")).min(1).max(20),
  /** Life of the token (ms), at most 24 h; default 10 min. */
  ttlMs: z.number().int().min(1_000).max(MAX_SCOPED_TOKEN_MS).optional(),
  /** Jobs per second the token may enqueue (enqueueMany counts each item). */
  ratePerSecond: z.number().positive().max(10_000).optional(),
});

/** What `tokens.create` takes, as the router reads it (the client types its scopes from the registry). */
export type ScopedTokenRequestInput = z.input<typeof scopedTokenRequest>;

/** What a token carries, signed. */
const payloadSchema = z.object({
  v: z.literal(1),
  /** Who minted it (a configured token's name). */
  by: z.string().max(100),
  scopes: z.array(z.string().regex(NARROW)).min(1).max(20),
  iat: z.number().int(),
  exp: z.number().int(),
  rate: z.number().positive().optional(),
});

/**
 * Short-lived tokens scoped to one job or one task, for browsers: a server that holds a family's
 * scope mints them (`tokens.create`), the page follows or enqueues with them, and every API
 * replica verifies them with the server-side secret (no storage, no lookup). They expire on their
 * own; rotating the secret revokes them all. A token carries only narrow scopes, each one its
 * minter holds, and at most 24 h of life from its issue time, whatever it says.
 *
 * Format: `twt_<base64url JSON payload>.<base64url HMAC-SHA256>`, the MAC over a message of its
 * own (`taskwire-scoped-token\n…`), so a session cookie's MAC cannot pass for a token's.
 *
 * @example
 * const { token } = await tokens.create(principal, { scopes: ['job:reports.15:read'], ttlMs: 600_000 });
 * const principal = await tokens.verify(token); // scopes: { 'job:reports.15:read' }
 */
export class ScopedTokens {
  constructor(
    private readonly registry: Registry,
    private readonly secrets: ServerSecrets,
  ) {}

  /** Mints a token for `minter`, which must hold the family scope behind every scope asked for. */
  async create(minter: Principal, request: ScopedTokenRequestInput, now = Date.now()): Promise<ScopedToken> {
    const { scopes, ttlMs, ratePerSecond } = scopedTokenRequest.parse(request);
    for (const scope of scopes) this.requireMinterMay(minter, scope as NarrowScope);
    const [secret] = await this.secrets.list();
    if (!secret) throw new TaskwireError('QUEUE_UNAVAILABLE', 'No signing secret');
    const exp = now + (ttlMs ?? DEFAULT_SCOPED_TOKEN_MS);
    const payload = Buffer.from(
      JSON.stringify({ v: 1, by: minter.name, scopes, iat: now, exp, ...(ratePerSecond === undefined ? {} : { rate: ratePerSecond }) }),
    ).toString('base64url');
    return { token: `${SCOPED_TOKEN_PREFIX}${payload}.${mac(secret, payload)}`, expiresAt: new Date(exp), scopes: scopes as NarrowScope[] };
  }

  /**
   * The principal of a scoped token. Throws UNAUTHORIZED: `forged` true for a token that is not
   * one of ours (wrong MAC, malformed), false for one that merely expired.
   */
  async verify(token: string, now = Date.now()): Promise<Principal> {
    const match = /^twt_([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) throw new ScopedTokenError('Invalid token', true);
    const [, payload = '', given = ''] = match;
    const secrets = await this.secrets.list();
    const signed = secrets.some((secret) => {
      const expected = Buffer.from(mac(secret, payload));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    });
    if (!signed) throw new ScopedTokenError('Invalid token', true);
    let claims: z.output<typeof payloadSchema>;
    try {
      claims = payloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      throw new ScopedTokenError('Invalid token', true);
    }
    // The server bounds the life: never past the maximum from the issue time, whatever `exp` says.
    const end = Math.min(claims.exp, claims.iat + MAX_SCOPED_TOKEN_MS);
    if (claims.iat > now + CLOCK_SKEW_MS || now >= end) throw new ScopedTokenError('Token expired: ask your server for a new one', false);
    return {
      // Each token is its own caller for rate limits and logs.
      name: `${claims.by}~${given.slice(0, 12)}`,
      scopes: new Set(claims.scopes),
      ratePerSecond: claims.rate,
      expiresAt: end,
    };
  }

  private requireMinterMay(minter: Principal, scope: NarrowScope): void {
    const [kind, target = ''] = scope.split(':') as [string, string];
    const dot = target.indexOf('.');
    const family = target.slice(0, dot);
    if (!Object.hasOwn(this.registry, family)) throw new TaskwireError('INVALID_INPUT', `Unknown family in '${scope}'`);
    if (kind === 'task') {
      const task = target.slice(dot + 1);
      if (!Object.hasOwn(this.registry[family]?.tasks ?? {}, task)) throw new TaskwireError('INVALID_INPUT', `Unknown task in '${scope}'`);
      requireScope(minter, `${family}:enqueue`);
    } else {
      requireScope(minter, `${family}:read`);
    }
  }
}

/** A scoped token refused: `forged` counts against the address (see AccessGate), an expired one does not. */
export class ScopedTokenError extends TaskwireError {
  constructor(
    message: string,
    readonly forged: boolean,
  ) {
    super('UNAUTHORIZED', message);
  }
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`taskwire-scoped-token\n${payload}`).digest('base64url');
}

/** Whether a principal may read a job: its family's `read` scope, or a token scoped to that job. */
export function canReadJob(principal: Principal, family: string, publicId: string): boolean {
  return can(principal, `${family}:read`) || principal.scopes.has(`job:${publicId}:read`);
}

/** Throws FORBIDDEN unless the principal may read the job (see {@link canReadJob}). */
export function requireJobRead(principal: Principal, family: string, publicId: string): void {
  if (!canReadJob(principal, family, publicId)) throw new TaskwireError('FORBIDDEN', `This call needs the '${family}:read' scope`);
}

/** Throws FORBIDDEN unless the principal may enqueue the task: its family's `enqueue` scope, or a token scoped to it. */
export function requireTaskEnqueue(principal: Principal, family: string, taskId: string): void {
  if (!can(principal, `${family}:enqueue`) && !principal.scopes.has(`task:${taskId}:enqueue`)) {
    throw new TaskwireError('FORBIDDEN', `This call needs the '${family}:enqueue' scope`);
  }
}
