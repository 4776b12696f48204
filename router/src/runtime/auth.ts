import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Scope, TaskwireError } from '@taskwire/shared';
import { z } from 'zod';

/**
 * What a token may do: `<family>:enqueue` (enqueue, cancel, retry, remove, schedules of that
 * family), `<family>:read` (get, watch, list, stats of that family), `admin` (everything,
 * including queue control, dead letters and the dashboard). `*:enqueue` / `*:read` cover every family.
 */
export type { Scope };

/** An API token as configured: the secret itself is only kept as its SHA-256. */
export interface ApiToken {
  /** Names the caller in logs and rate limits. */
  name: string;
  sha256: string;
  scopes: Scope[];
  /** Enqueued jobs per second this token may add (enqueueMany counts each item); unlimited when unset. */
  ratePerSecond?: number | undefined;
}

/** Who is calling, once their token checked out. */
export interface Principal {
  name: string;
  scopes: ReadonlySet<string>;
  ratePerSecond: number | undefined;
  /**
   * Epoch ms after which a scoped token stops working, for every call of a connection it opened
   * (a WebSocket admitted before then included); unset for configured tokens.
   */
  expiresAt?: number | undefined;
}

/** Throws UNAUTHORIZED once a scoped token's time is up (checked on every call, not only at connect). */
export function requireUnexpired(principal: Principal, now = Date.now()): void {
  if (principal.expiresAt !== undefined && now >= principal.expiresAt) {
    throw new TaskwireError('UNAUTHORIZED', 'Token expired: ask your server for a new one');
  }
}

const scope = z
  .string()
  .regex(/^(admin|(\*|[a-z][a-zA-Z0-9]*):(enqueue|read))$/, "expected 'admin', '<family>:enqueue' or '<family>:read'");
const tokenEntry = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/),
    token: z.string().min(16, 'tokens must be at least 16 characters').optional(),
    sha256: z
      .string()
      .regex(/^[a-f0-9]{64}$/)
      .optional(),
    scopes: z.array(scope).min(1),
    ratePerSecond: z.number().positive().optional(),
  })
  .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), { message: 'give exactly one of token or sha256' });

/** SHA-256 of a token, hex: what configuration should store. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A fresh random token (for `npm start`'s development default). */
export function generateToken(): string {
  return `tw_${randomBytes(24).toString('base64url')}`;
}

/**
 * Parses `TASKWIRE_TOKENS`: a JSON array of `{ name, sha256 | token, scopes, ratePerSecond? }`.
 * Plain `token`s are hashed at once and not kept.
 *
 * @example
 * parseTokens('[{"name":"billing","sha256":"9f86…","scopes":["email:enqueue","email:read"]}]');
 */
export function parseTokens(json: string): ApiToken[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be part of a token.
    throw new Error('TASKWIRE_TOKENS is not valid JSON (expected an array of { name, sha256 | token, scopes })');
  }
  const parsed = z.array(tokenEntry).safeParse(data);
  if (!parsed.success) {
    throw new Error(`TASKWIRE_TOKENS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.map((t) => ({
    name: t.name,
    sha256: t.sha256 ?? hashToken(t.token as string),
    scopes: t.scopes as Scope[],
    ratePerSecond: t.ratePerSecond,
  }));
}

/** `'open'` serves without tokens (development only, and only when asked for explicitly). */
export type AuthConfig = { tokens: ApiToken[] } | 'open';

/**
 * Checks bearer tokens in constant time against every configured hash, so neither the position
 * of a match nor a near miss shows in the timing.
 */
export class Authenticator {
  private readonly tokens: { digest: Buffer; principal: Principal }[];

  constructor(readonly config: AuthConfig) {
    this.tokens =
      config === 'open'
        ? []
        : config.tokens.map((t) => ({
            digest: Buffer.from(t.sha256, 'hex'),
            principal: { name: t.name, scopes: new Set(t.scopes), ratePerSecond: t.ratePerSecond },
          }));
  }

  get open(): boolean {
    return this.config === 'open';
  }

  /**
   * The principal configured under a name now, with its token's hash: what a dashboard session
   * names is checked against the configuration of the moment, not of the sign-in.
   */
  byName(name: string): { principal: Principal; sha256: string } | undefined {
    if (this.config === 'open') return undefined;
    const index = this.config.tokens.findIndex((t) => t.name === name);
    const entry = this.tokens[index];
    const token = this.config.tokens[index];
    return entry && token ? { principal: entry.principal, sha256: token.sha256 } : undefined;
  }

  /** The principal for a bearer token; throws UNAUTHORIZED when missing or unknown. */
  authenticate(token: string | undefined): Principal {
    if (this.open) return OPEN_PRINCIPAL;
    if (!token) throw new TaskwireError('UNAUTHORIZED', 'Missing token: send Authorization: Bearer <token>');
    const digest = createHash('sha256').update(token).digest();
    let found: Principal | undefined;
    for (const entry of this.tokens) {
      if (timingSafeEqual(entry.digest, digest)) found = entry.principal;
    }
    if (!found) throw new TaskwireError('UNAUTHORIZED', 'Invalid token');
    return found;
  }
}

const OPEN_PRINCIPAL: Principal = { name: 'anonymous', scopes: new Set(['admin']), ratePerSecond: undefined };

/** Whether a principal holds a scope (`admin` holds all; `*:read` covers every family's read). */
export function can(principal: Principal, wanted: Scope): boolean {
  if (principal.scopes.has('admin') || principal.scopes.has(wanted)) return true;
  const action = wanted.slice(wanted.indexOf(':') + 1);
  return wanted !== 'admin' && principal.scopes.has(`*:${action}`);
}

/**
 * Throws FORBIDDEN unless the principal holds the scope. The message names the scope, never the
 * token: a caller learns what it lacks, not how the server calls its credentials.
 */
export function requireScope(principal: Principal, wanted: Scope): void {
  if (!can(principal, wanted)) throw new TaskwireError('FORBIDDEN', `This call needs the '${wanted}' scope`);
}

/** The authentication settings of the environment (validated by the entry points). */
export interface AuthEnv {
  /** JSON array of tokens (see {@link parseTokens}). */
  TASKWIRE_TOKENS?: string | undefined;
  /** One admin token, as a shorthand. */
  TASKWIRE_API_TOKEN?: string | undefined;
  /** `open` serves without tokens — for development only. */
  TASKWIRE_AUTH?: 'tokens' | 'open' | undefined;
}

/**
 * The auth configuration an entry point runs with. Without tokens and without `TASKWIRE_AUTH=open`
 * it refuses to start (`devToken: true` instead generates an admin token for local development,
 * returned so it can be printed once).
 */
export function authFromEnv(env: AuthEnv, options: { devToken?: boolean } = {}): { auth: AuthConfig; generatedToken?: string } {
  if (env.TASKWIRE_AUTH === 'open') return { auth: 'open' };
  const tokens = env.TASKWIRE_TOKENS ? parseTokens(env.TASKWIRE_TOKENS) : [];
  if (env.TASKWIRE_API_TOKEN) tokens.push({ name: 'admin', sha256: hashToken(env.TASKWIRE_API_TOKEN), scopes: ['admin'] });
  if (tokens.length > 0) return { auth: { tokens } };
  if (options.devToken) {
    const token = generateToken();
    return { auth: { tokens: [{ name: 'dev', sha256: hashToken(token), scopes: ['admin'] }] }, generatedToken: token };
  }
  throw new Error(
    'No API tokens configured. Set TASKWIRE_TOKENS=\'[{"name":"app","sha256":"<sha256 of the token>","scopes":["email:enqueue"]}]\' ' +
      '(or TASKWIRE_API_TOKEN=<admin token>), or TASKWIRE_AUTH=open to serve without authentication (development only).',
  );
}
