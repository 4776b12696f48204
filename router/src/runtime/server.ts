import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry as TaskRegistry, TaskwireError } from '@taskwire/shared';
import { describeRedis, type RedisTargetOptions } from '@taskwire/shared/node';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { Registry } from 'prom-client';
import { type AuthConfig, Authenticator } from './auth.ts';
import { createDashboard, DASHBOARD_PATH } from './dashboard.ts';
import { DEFAULT_ENQUEUE_SETTINGS } from './enqueue.ts';
import { QueueHub } from './hub.ts';
import { ApiMetrics } from './metrics.ts';
import type { WaitReplicasOptions } from './replica-wait.ts';
import { createRestHandler } from './rest.ts';
import { createTaskwireRouter, directCalls, type RouterOptions, type TaskwireRouter } from './router.ts';
import { readStrictBody, sendTrpcError } from './strict-body.ts';
import { requestTraceContext } from './tracing.ts';
import type { TaskwireContext } from './trpc.ts';
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
}

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

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
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
  const router = createTaskwireRouter(options.registry, hub, options.router);
  const authenticator = new Authenticator(options.auth);
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const metrics = new ApiMetrics(hub);
  // One context per HTTP request, or per WebSocket connection: the bearer token of the request
  // (or upgrade request), else a `token` in the connection params (browsers cannot set headers).
  const createContext = ({ req, info }: { req: http.IncomingMessage; info: { connectionParams: unknown } }): TaskwireContext => {
    const params = info.connectionParams as Record<string, unknown> | null;
    const given = bearer(req.headers.authorization) ?? (typeof params?.token === 'string' ? params.token : undefined);
    try {
      return { principal: authenticator.authenticate(given), observer: metrics, trace: requestTraceContext(req.headers) };
    } catch (error) {
      return { principal: undefined, authError: error as TaskwireError, observer: metrics };
    }
  };
  const trpc = createHTTPHandler({
    router,
    basePath: '/trpc/',
    maxBodySize: options.maxBodyBytes ?? 1_048_576,
    createContext,
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`[taskwire-api] ${path ?? '?'}: ${error.message}`);
    },
  });

  const dashboard = createDashboard(hub, authenticator);
  const rest = createRestHandler({
    registry: options.registry,
    hub,
    authenticator,
    metrics,
    settings: { ...DEFAULT_ENQUEUE_SETTINGS, ...options.router },
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
  });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      void readiness(hub).then(({ status, body }) => sendJson(res, status, body));
      return;
    }
    if (path.startsWith('/trpc/')) {
      const type = req.headers['content-type'] ?? '';
      // Only JSON bodies are read here; tRPC handles (and refuses) the other content types itself.
      if (req.method !== 'POST' || (type !== '' && !type.includes('json'))) return trpc(req, res);
      // tRPC uses a body already read into req.body; read it strictly (UTF-8, size) first.
      readStrictBody(req, maxBodyBytes).then(
        (text) => {
          (req as http.IncomingMessage & { body?: string }).body = text;
          trpc(req, res);
        },
        (error: TaskwireError) => sendTrpcError(req, res, error),
      );
      return;
    }
    if (path === '/metrics') {
      const registry = options.extraMetrics?.length ? Registry.merge([metrics.registry, ...options.extraMetrics]) : metrics.registry;
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (error: Error) => sendJson(res, 500, { error: error.message }),
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
    createContext,
    maxPayload: maxBodyBytes,
    directCalls: directCalls(options.registry, hub, options.router),
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
