import type http from 'node:http';

/**
 * Whether a browser sent the request from another origin: `Sec-Fetch-Site` when the browser sends
 * it, else `Origin` against `Host`; `undefined` when the request carries neither (not a browser's
 * form, script or socket).
 */
export function crossSite(req: http.IncomingMessage): boolean | undefined {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return undefined;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * The origins a list names, each checked: `scheme://host[:port]` with nothing after it, as a
 * browser sends it in `Origin`. Throws on anything else (a path, a wildcard, a typo), naming it.
 *
 * @example
 * parseCorsOrigins('https://app.example.com, http://localhost:5173'); // ['https://app.example.com', 'http://localhost:5173']
 */
export function parseCorsOrigins(list: string | readonly string[] | undefined): string[] {
  const items = typeof list === 'string' ? list.split(',') : (list ?? []);
  const origins: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    const origin = item.replace(/\/$/, '');
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin || origin.includes('*')) {
      throw new Error(
        `'${item}' is not an origin: write scheme://host[:port], with no path and no wildcard (e.g. https://app.example.com)`,
      );
    }
    origins.push(url.origin);
  }
  return origins;
}

/** Request headers a page may send to the API: credentials, JSON bodies, tRPC's and tracing's own. */
const ALLOWED_HEADERS = 'authorization, content-type, trpc-accept, traceparent, tracestate, idempotency-key';

/**
 * The API's cross-origin policy. Pages on the API's own origin need nothing; pages elsewhere may
 * call tRPC (HTTP and SSE), REST and the WebSocket only from the origins configured
 * (`TASKWIRE_CORS_ORIGINS`), none by default. A request from another origin is refused with 403
 * before anything runs: a preflight, a call, an SSE stream or a WebSocket upgrade. Requests with
 * no `Origin` (servers, scripts, the CLI) are not browsers' and pass.
 *
 * @example
 * const cors = new CorsPolicy(['https://app.example.com']);
 * if (cors.answer(req, res)) return; // refused, or a preflight answered
 */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[] = []) {
    this.origins = new Set(parseCorsOrigins(origins));
  }

  /**
   * Why the request may not go on (a browser's, from an origin not allowed), or undefined. A
   * cross-site request without `Origin` (a link, an image) is not refused: it cannot read the
   * answer, nor carry a token it does not know.
   */
  refusal(req: http.IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !crossSite(req) || this.origins.has(origin)) return undefined;
    return `Origin ${origin} is not allowed: the API answers pages of its own origin and of TASKWIRE_CORS_ORIGINS`;
  }

  /**
   * Applies the policy to an HTTP request: refuses it (403), answers its preflight (204), or adds
   * the CORS headers its answer needs and returns false for the caller to serve it.
   */
  answer(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const refused = this.refusal(req);
    if (refused) {
      res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'Origin' });
      res.end(JSON.stringify({ error: refused }));
      req.resume();
      return true;
    }
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.origins.has(origin)) return false;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
      return true;
    }
    res.setHeader('access-control-expose-headers', 'retry-after');
    return false;
  }
}
