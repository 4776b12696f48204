import type http from 'node:http';
import { TaskwireError } from '@taskwire/shared';
import type { Authenticator, Principal } from './auth.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import { clientAddress } from './client-address.ts';
import { SCOPED_TOKEN_PREFIX, ScopedTokenError, type ScopedTokens } from './scoped-tokens.ts';

/** `Authorization: Bearer <token>` of a request, if any. */
export function bearerToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
}

/**
 * The `token` of tRPC's connection params sent in a request's URL (`?connectionParams={"token":…}`,
 * as `httpSubscriptionLink` sends them): the only way a browser's `EventSource` can carry
 * credentials, since it cannot set headers. Such a URL can land in proxy and access logs: accept
 * it for subscriptions only (see the server), and give browsers short-lived tokens.
 *
 * @example
 * connectionParamsToken('/trpc/email.send.watch?input=…&connectionParams=%7B%22token%22%3A%22tw_…%22%7D'); // 'tw_…'
 */
export function connectionParamsToken(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1 || !url.includes('connectionParams=', query)) return undefined;
  const params = new URLSearchParams(url.slice(query + 1)).get('connectionParams');
  if (!params) return undefined;
  try {
    const parsed: unknown = JSON.parse(params);
    const token = parsed !== null && typeof parsed === 'object' ? (parsed as { token?: unknown }).token : undefined;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The one entrance for credentials: every transport (HTTP tRPC, WebSocket, REST, the dashboard,
 * `/metrics`) turns a token into a principal here, so the throttle of wrong tokens per client
 * address applies to all of them alike.
 *
 * @example
 * const principal = await gate.admit(bearerToken(req), gate.address(req));
 */
export class AccessGate {
  constructor(
    readonly authenticator: Authenticator,
    private readonly throttle: AuthThrottle,
    /** Proxies in front of the API that append to `X-Forwarded-For` (see {@link clientAddress}). */
    readonly trustedProxies = 0,
    /** Verifies scoped tokens (`twt_…`, minted by `tokens.create`); without it they are unknown tokens. */
    private readonly scoped?: ScopedTokens,
  ) {}

  get open(): boolean {
    return this.authenticator.open;
  }

  /** The client address a request is counted under. */
  address(req: http.IncomingMessage): string {
    return clientAddress(req, this.trustedProxies);
  }

  /**
   * The principal for a token. UNAUTHORIZED when it is missing or wrong (a wrong one is counted
   * against the address), TOO_MANY_REQUESTS while the address is locked out.
   */
  async admit(token: string | undefined, address: string): Promise<Principal> {
    if (this.open) return this.authenticator.authenticate(undefined);
    if (!token) throw new TaskwireError('UNAUTHORIZED', 'Missing token: send Authorization: Bearer <token>');
    await this.throttle.check(address);
    try {
      if (this.scoped && token.startsWith(SCOPED_TOKEN_PREFIX)) return await this.scoped.verify(token);
      return this.authenticator.authenticate(token);
    } catch (error) {
      // A wrong token counts; an expired scoped token (a page that kept it too long) does not,
      // nor a secret that could not be read.
      const wrong =
        error instanceof TaskwireError && error.code === 'UNAUTHORIZED' && !(error instanceof ScopedTokenError && !error.forged);
      if (wrong) await this.throttle.failed(address);
      throw error;
    }
  }

  /** Counts a wrong credential presented some other way (e.g. a forged session cookie). */
  failed(address: string): Promise<void> {
    return this.throttle.failed(address);
  }

  /** Throws TOO_MANY_REQUESTS while the address is locked out. */
  check(address: string): Promise<void> {
    return this.throttle.check(address);
  }
}
