import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Registry as TaskRegistry, TaskwireError } from '@taskwire/shared';
import { describeRedis, type RedisTargetOptions } from '@taskwire/shared/node';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { Registry } from 'prom-client';
import { enqueueAdmissions } from './admission.ts';
import { type AuthConfig, Authenticator, can, hashToken, type Principal } from './auth.ts';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.ts';
import { CorsPolicy } from './cors.ts';
import { createDashboard, DASHBOARD_PATH } from './dashboard.ts';
import { AccessGate, bearerToken, connectionParamsToken } from './gate.ts';
import { QueueHub } from './hub.ts';
import { limitedLog } from './limited-log.ts';
import { ApiMetrics } from './metrics.ts';
import type { WaitReplicasOptions } from './replica-wait.ts';
import { createRestHandler } from './rest.ts';
import { buildRouter, type RouterOptions, routerSettings, type TaskwireRouter } from './router.ts';
import { ScopedTokens } from './scoped-tokens.ts';
import { ServerSecrets } from './server-secrets.ts';
import { DashboardSessions, type SessionOptions } from './sessions.ts';
import { readStrictBody, sendTrpcError } from './strict-body.ts';
import { requestTraceContext } from './tracing.ts';
import { httpStatusOf, type TaskwireContext, toTaskwireError } from './trpc.ts';
import { attachWebSocket } from './ws.ts';

export interface ApiServerOptions<TRegistry extends TaskRegistry> extends RedisTargetOptions {
  registry: TRegistry;
  prefix?: string;
  /** 0 picks a free port. Default 3000. */
  port?: number;
  host?: string;
  /**
   * Who may call: API tokens with scopes, or `'open'` (no tokens; development only). Required,
   * so that an open API is always a decision, never a default.
   */
  auth: AuthConfig;
  /** Largest request body accepted (bytes; default 1 MiB). */
  maxBodyBytes?: number;
  router?: RouterOptions;
  /** More registries to serve at `/metrics` (e.g. in-process workers' metrics). */
  extraMetrics?: Registry[];
  /** How long start-up waits for Redis before serving anyway (ms; default 3,000). */
  redisWaitMs?: number;
  /** Acknowledge enqueues only once their jobs are on replicas (Redis `WAIT`; see {@link QueueHubOptions}). */
  waitReplicas?: WaitReplicasOptions;
  /** Wrong credentials allowed per client address before it is locked out (see {@link AuthThrottle}). */
  authThrottle?: Partial<AuthThrottleOptions>;
  /**
   * Proxies in front of the API that append the client's address to `X-Forwarded-For` (default 0:
   * the socket's peer is the client). Throttles and connection caps count per client address.
   */
  trustedProxies?: number;
  /** How dashboard sessions are signed (server-side secrets) and how long they last. */
  sessions?: SessionOptions;
  /** Most calls one HTTP batch request may name (default 100); more are refused before any call runs. */
  maxBatchCalls?: number;
  /** Open WebSocket connections per client address (default 64). */
  maxConnectionsPerAddress?: number;
  /**
   * Who may read `/metrics`: a bearer token with the `admin` scope, or `token` (a token for the
   * scraper alone, `TASKWIRE_METRICS_TOKEN`); everyone with `public: true`. Default: admin only.
   */
  metricsAccess?: { public?: boolean | undefined; token?: string | undefined };
  /**
   * Origins (`https://app.example.com`) whose pages may call the API from the browser: tRPC over
   * HTTP, SSE and WebSocket, and REST. Pages of the API's own origin need no entry; requests with
   * no `Origin` (servers, scripts) are not affected. Default: none.
   */
  corsOrigins?: readonly string[];
}

/** The defaults of the limits above. */
export const API_LIMITS = { maxBatchCalls: 100, maxConnectionsPerAddress: 64, paramsDeadlineMs: 5_000 } as const;

export interface ApiServer<TRegistry extends TaskRegistry> {
  /** Base URL, e.g. `http://127.0.0.1:3000`; tRPC is at `${url}/trpc`. */
  url: string;
  port: number;
  hub: QueueHub;
  authenticator: Authenticator;
  metrics: ApiMetrics;
  router: TaskwireRouter<TRegistry>;
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Why enqueues cannot be acknowledged with `waitReplicas` (too few replicas online), or undefined. */
function replicaShortfall(replicas: { required: number; online: number } | undefined): string | undefined {
  if (!replicas || replicas.online >= replicas.required) return undefined;
  return `${replicas.online} of the ${replicas.required} replicas enqueues wait for (waitReplicas) are online: enqueues fail with QUEUE_UNAVAILABLE`;
}

/** What `/readyz` says: Redis answers and, with `waitReplicas`, enough replicas are online to confirm enqueues. */
async function readiness(hub: QueueHub): Promise<{ status: number; body: object }> {
  try {
    const latencyMs = await hub.ping();
    const replicas = await hub.replicas();
    const reason = replicaShortfall(replicas);
    if (reason) return { status: 503, body: { status: 'unavailable', reason, redis: { latencyMs }, replicas } };
    return {
      status: 200,
      body: replicas ? { status: 'ready', redis: { latencyMs }, replicas } : { status: 'ready', redis: { latencyMs } },
    };
  } catch (error) {
    return { status: 503, body: { status: 'unavailable', reason: (error as Error).message } };
  }
}

/**
 * Starts the HTTP API: tRPC at `/trpc` (batching, SSE subscriptions), `/healthz` (the process is
 * up) and `/readyz` (Redis answers; with `waitReplicas`, enough replicas are online).
 *
 * @example
 * const api = await startApiServer({ registry: families, redisUrl, port: 3000 });
 * console.log(`${api.url}/trpc`);
 */
export async function startApiServer<const TRegistry extends TaskRegistry>(
  options: ApiServerOptions<TRegistry>,
): Promise<ApiServer<TRegistry>> {
  const hub = new QueueHub(options.registry, {
    redisUrl: options.redisUrl,
    redis: options.redis,
    prefix: options.prefix,
    waitReplicas: options.waitReplicas,
  });
  if (!(await hub.waitUntilConnected(options.redisWaitMs ?? 3_000))) {
    console.warn(
      `[taskwire-api] Redis at ${describeRedis(hub.redisConfig)} does not answer yet; serving anyway (calls fail with QUEUE_UNAVAILABLE until it does)`,
    );
  } else {
    const shortfall = replicaShortfall(await hub.replicas().catch(() => undefined));
    if (shortfall) console.warn(`[taskwire-api] ${shortfall} until enough are (/readyz says so too)`);
  }
  // One admission per task, shared by every transport that enqueues: tRPC, the WebSocket fast path, REST.
  const settings = routerSettings(options.router ?? {});
  const admissions = enqueueAdmissions(options.registry, hub, settings);
  // One server-side secret signs dashboard sessions and scoped tokens (each over its own message).
  const secrets = new ServerSecrets(hub, options.sessions?.secrets);
  const scopedTokens = new ScopedTokens(options.registry, secrets);
  const router = buildRouter(options.registry, hub, admissions, settings, scopedTokens);
  const authenticator = new Authenticator(options.auth);
  const cors = new CorsPolicy(options.corsOrigins);
  const gate = new AccessGate(authenticator, new AuthThrottle(hub, options.authThrottle), options.trustedProxies ?? 0, scopedTokens);
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const maxBatchCalls = options.maxBatchCalls ?? API_LIMITS.maxBatchCalls;
  const metrics = new ApiMetrics(hub);
  const log = limitedLog('[taskwire-api]');
  const contextOf = (req: http.IncomingMessage, principal: Principal): TaskwireContext => ({
    principal,
    observer: metrics,
    trace: requestTraceContext(req.headers),
  });
  // HTTP requests are admitted before tRPC runs (see the request handler); their principal waits here.
  const admitted = new WeakMap<http.IncomingMessage, Principal>();
  const trpc = createHTTPHandler({
    router,
    basePath: '/trpc/',
    maxBodySize: maxBodyBytes,
    createContext: ({ req }): TaskwireContext => {
      const principal = admitted.get(req);
      return principal
        ? contextOf(req, principal)
        : { principal: undefined, authError: new TaskwireError('UNAUTHORIZED'), observer: metrics };
    },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log(`${path ?? '?'}: ${error.message}`);
    },
  });
  const procedures = router._def.procedures as Record<string, { _def?: { type?: string } } | undefined>;
  /**
   * The credentials of a tRPC request: the bearer header; else, for an SSE subscription only (a
   * GET of one subscription procedure), the token of the connection params in its URL — browsers'
   * `EventSource` cannot send headers. Both go through the same gate (and its throttle).
   */
  const trpcToken = (req: http.IncomingMessage, path: string): string | undefined => {
    const header = bearerToken(req);
    if (header || req.method !== 'GET') return header;
    const name = path.slice('/trpc/'.length);
    return Object.hasOwn(procedures, name) && procedures[name]?._def?.type === 'subscription'
      ? connectionParamsToken(req.url ?? '')
      : undefined;
  };
  /**
   * tRPC over HTTP: the number of calls is bounded and the caller authenticated before anything
   * else, so that a request without credentials costs one small answer however many calls it names.
   */
  const serveTrpc = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    let calls = 1;
    for (let i = path.indexOf(','); i !== -1 && calls <= maxBatchCalls; i = path.indexOf(',', i + 1)) calls += 1;
    if (calls > maxBatchCalls) {
      return sendTrpcError(res, new TaskwireError('PAYLOAD_TOO_LARGE', `A batch may hold at most ${maxBatchCalls} calls`));
    }
    gate.admit(trpcToken(req, path), gate.address(req)).then(
      (principal) => {
        admitted.set(req, principal);
        const type = req.headers['content-type'] ?? '';
        // Only JSON bodies are read here; tRPC handles (and refuses) the other content types itself.
        if (req.method !== 'POST' || (type !== '' && !type.includes('json'))) return trpc(req, res);
        // tRPC uses a body already read into req.body; read it strictly (UTF-8, size) first.
        readStrictBody(req, maxBodyBytes).then(
          (text) => {
            (req as http.IncomingMessage & { body?: string }).body = text;
            trpc(req, res);
          },
          (error: TaskwireError) => sendTrpcError(res, error, req),
        );
      },
      (error: unknown) => {
        req.resume();
        sendTrpcError(res, toTaskwireError(error), req);
      },
    );
  };

  const metricsToken = options.metricsAccess?.token ? Buffer.from(hashToken(options.metricsAccess.token), 'hex') : undefined;
  /** Whether a request may read `/metrics` (see `metricsAccess`). */
  const mayReadMetrics = async (req: http.IncomingMessage): Promise<boolean> => {
    if (options.metricsAccess?.public || gate.open) return true;
    const token = bearerToken(req);
    if (metricsToken && token && timingSafeEqual(Buffer.from(hashToken(token), 'hex'), metricsToken)) return true;
    return can(await gate.admit(token, gate.address(req)), 'admin');
  };

  const dashboard = createDashboard(hub, gate, new DashboardSessions(hub, authenticator, options.sessions, secrets));
  const rest = createRestHandler({
    registry: options.registry,
    hub,
    gate,
    metrics,
    admissions,
    maxBodyBytes,
  });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      void readiness(hub).then(({ status, body }) => sendJson(res, status, body));
      return;
    }
    if ((path.startsWith('/trpc/') || path.startsWith('/api/') || path === '/openapi.json') && cors.answer(req, res)) return;
    if (path.startsWith('/trpc/')) return serveTrpc(req, res, path);
    if (path === '/metrics') {
      const registry = options.extraMetrics?.length ? Registry.merge([metrics.registry, ...options.extraMetrics]) : metrics.registry;
      mayReadMetrics(req)
        .then((allowed) => {
          if (!allowed) throw new TaskwireError('FORBIDDEN', 'Metrics need the admin scope or the metrics token');
          return registry.metrics();
        })
        .then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          },
          (error: unknown) => {
            const tw = toTaskwireError(error);
            sendJson(res, httpStatusOf(tw), { error: tw.code === 'INTERNAL' ? 'Internal error' : tw.message });
          },
        );
      return;
    }
    if (path.startsWith('/admin/')) return dashboard(req, res);
    if (path.startsWith('/api/') || path === '/openapi.json') return rest(req, res);
    sendJson(res, 404, { error: 'Not found', see: ['/trpc', '/healthz', '/readyz', '/metrics', '/openapi.json', DASHBOARD_PATH] });
  });
  server.keepAliveTimeout = 65_000;
  const ws = attachWebSocket(server, {
    router,
    path: '/trpc',
    maxPayload: maxBodyBytes,
    directEnqueues: new Map([...admissions.values()].map((admission) => [`${admission.task.id}.enqueue`, admission])),
    addressOf: (req) => gate.address(req),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? API_LIMITS.maxConnectionsPerAddress,
    paramsDeadlineMs: API_LIMITS.paramsDeadlineMs,
    log,
    // A bearer token on the upgrade request; else, for browsers (which cannot set headers), a
    // `token` in tRPC's connection params, expected within the deadline above.
    admitUpgrade: async (req) => {
      const refused = cors.refusal(req);
      if (refused) throw new TaskwireError('FORBIDDEN', refused);
      const token = bearerToken(req);
      if (!token && !gate.open && /[?&]connectionParams=1(?:&|$)/.test(req.url ?? '')) return 'params';
      return contextOf(req, await gate.admit(token, gate.address(req)));
    },
    admitParams: async (req, params) => {
      const token = typeof params?.token === 'string' ? params.token : undefined;
      return contextOf(req, await gate.admit(token, gate.address(req)));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    hub,
    authenticator,
    metrics,
    router,
    async close() {
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
    },
  };
}
