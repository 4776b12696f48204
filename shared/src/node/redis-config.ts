import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { env, loadConfig } from './config.ts';

const hostPort = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) });
/** A `host:port` address (cluster seed node or sentinel). */
export type RedisAddress = z.output<typeof hostPort>;

const tls = z.object({
  /** PEM file with the CA(s) that signed the server certificates; the system CAs when omitted. */
  caFile: z.string().min(1).optional(),
  /** Name to verify the server certificate against, when it differs from the host connected to. */
  servername: z.string().min(1).optional(),
});
/** TLS settings of a connection; `{}` means TLS with the system CAs. */
export type RedisTls = z.output<typeof tls>;

const access = {
  /** ACL user (Redis ≥ 6); `default` when omitted. */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  tls: tls.optional(),
};

/**
 * Where Redis is and how to reach it, in one of Redis's own topologies: a single node, a Redis
 * Cluster (seed nodes; the rest is discovered), or a master watched by Sentinels. Each with
 * optional TLS and password / ACL user.
 */
export const redisConnectionConfig = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('single'), url: env.redisUrl, ...access }),
  z.object({ mode: z.literal('cluster'), nodes: z.array(hostPort).min(1), ...access }),
  z.object({
    mode: z.literal('sentinel'),
    sentinels: z.array(hostPort).min(1),
    /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
    masterName: z.string().min(1),
    /** Credentials of the sentinels themselves, when they require them. */
    sentinelUsername: z.string().min(1).optional(),
    sentinelPassword: z.string().min(1).optional(),
    sentinelTls: tls.optional(),
    ...access,
  }),
]);

/**
 * A validated connection configuration (see {@link redisConnectionConfig}).
 *
 * @example
 * const config: RedisConnectionConfig = { mode: 'cluster', nodes: [{ host: '10.0.0.5', port: 7000 }], password: 's3cret' };
 */
export type RedisConnectionConfig = z.output<typeof redisConnectionConfig>;

const DEFAULT_URL = 'redis://127.0.0.1:6379';

const addressList = z
  .string()
  .transform((value, ctx) => {
    const out: RedisAddress[] = [];
    for (const item of value.split(',').map((s) => s.trim())) {
      const match = /^(\[[^\]]+\]|[^\s:]+):(\d{1,5})$/.exec(item);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65_535) {
        ctx.addIssue({ code: 'custom', message: `expected a comma list of host:port (bad entry '${item}')` });
        return z.NEVER;
      }
      out.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
    }
    return out;
  })
  .pipe(z.array(hostPort).min(1));

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => ['true', '1', 'yes'].includes(v));

const readableFile = z.string().refine(
  (path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a readable PEM file' },
);

/**
 * The environment variables that choose the Redis connection. Exactly one of `REDIS_URL`,
 * `REDIS_CLUSTER_NODES`, `REDIS_SENTINELS` may be set (none: `redis://127.0.0.1:6379`).
 */
export const REDIS_ENV = {
  REDIS_URL: env.redisUrl.optional(),
  /** Seed nodes of a Redis Cluster, `host:port,host:port`. */
  REDIS_CLUSTER_NODES: addressList.optional(),
  /** Sentinels, `host:port,host:port`, with the master group name in `REDIS_SENTINEL_MASTER`. */
  REDIS_SENTINELS: addressList.optional(),
  REDIS_SENTINEL_MASTER: env.string.optional(),
  REDIS_SENTINEL_USERNAME: env.string.optional(),
  REDIS_SENTINEL_PASSWORD: env.string.optional(),
  REDIS_SENTINEL_TLS: flag.optional(),
  REDIS_USERNAME: env.string.optional(),
  REDIS_PASSWORD: env.string.optional(),
  /** TLS to the data nodes (implied by a `rediss://` URL). */
  REDIS_TLS: flag.optional(),
  REDIS_TLS_CA: readableFile.optional(),
  REDIS_TLS_SERVERNAME: env.string.optional(),
};

type RedisEnvValues = z.output<z.ZodObject<typeof REDIS_ENV>>;

function checkRedisEnv(values: RedisEnvValues, ctx: z.RefinementCtx): void {
  const modes = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((name) => values[name] !== undefined);
  if (modes.length > 1) {
    for (const name of modes) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `set only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (also set: ${modes.filter((m) => m !== name).join(', ')})`,
      });
    }
  }
  if (values.REDIS_SENTINELS !== undefined && values.REDIS_SENTINEL_MASTER === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_SENTINEL_MASTER'],
      message: 'required with REDIS_SENTINELS (the monitored master group name)',
    });
  }
  if (values.REDIS_SENTINELS === undefined) {
    for (const name of ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_TLS'] as const) {
      if (values[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'only meaningful with REDIS_SENTINELS' });
    }
  }
  if (values.REDIS_TLS === false && values.REDIS_URL?.startsWith('rediss:')) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_TLS'], message: 'false contradicts the rediss:// REDIS_URL' });
  }
}

function configOf(values: RedisEnvValues): RedisConnectionConfig {
  const wantsTls = values.REDIS_TLS === true || values.REDIS_TLS_CA !== undefined || values.REDIS_TLS_SERVERNAME !== undefined;
  const access = {
    ...(values.REDIS_USERNAME ? { username: values.REDIS_USERNAME } : {}),
    ...(values.REDIS_PASSWORD ? { password: values.REDIS_PASSWORD } : {}),
    ...(wantsTls ? { tls: tlsOf(values.REDIS_TLS_CA, values.REDIS_TLS_SERVERNAME) } : {}),
  };
  if (values.REDIS_CLUSTER_NODES) return { mode: 'cluster', nodes: values.REDIS_CLUSTER_NODES, ...access };
  if (values.REDIS_SENTINELS) {
    return {
      mode: 'sentinel',
      sentinels: values.REDIS_SENTINELS,
      masterName: values.REDIS_SENTINEL_MASTER as string,
      ...(values.REDIS_SENTINEL_USERNAME ? { sentinelUsername: values.REDIS_SENTINEL_USERNAME } : {}),
      ...(values.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: values.REDIS_SENTINEL_PASSWORD } : {}),
      ...(values.REDIS_SENTINEL_TLS ? { sentinelTls: tlsOf(values.REDIS_TLS_CA, values.REDIS_TLS_SERVERNAME) } : {}),
      ...access,
    };
  }
  return { mode: 'single', url: values.REDIS_URL ?? DEFAULT_URL, ...access };
}

function tlsOf(caFile: string | undefined, servername: string | undefined): RedisTls {
  return { ...(caFile ? { caFile } : {}), ...(servername ? { servername } : {}) };
}

/**
 * A zod schema for an entry point's environment: its own variables plus the Redis ones, with the
 * chosen connection as `redis`. Use it with `loadConfig`/`loadConfigOrExit`, so every problem
 * (Redis or not) is reported in one message, secrets redacted.
 *
 * @example
 * const config = loadConfigOrExit(withRedisEnv({ PORT: env.port.default(3000) }), 'taskwire-api');
 * const hub = new QueueHub(families, { redis: config.redis });
 */
export function withRedisEnv<TShape extends z.ZodRawShape>(shape: TShape) {
  return z
    .object({ ...REDIS_ENV, ...shape })
    .superRefine((values, ctx) => checkRedisEnv(values as RedisEnvValues, ctx))
    .transform((values) => ({ ...values, redis: configOf(values as RedisEnvValues) }));
}

/**
 * The Redis connection chosen by environment variables: `REDIS_URL` (single node),
 * `REDIS_CLUSTER_NODES` (Redis Cluster) or `REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`, each with
 * `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_TLS`, `REDIS_TLS_CA`, `REDIS_TLS_SERVERNAME`.
 * Throws a `ConfigError` naming every bad variable.
 *
 * @example
 * redisConfigFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.5:7000,10.0.0.6:7000' });
 * // { mode: 'cluster', nodes: [{ host: '10.0.0.5', port: 7000 }, { host: '10.0.0.6', port: 7000 }] }
 */
export function redisConfigFromEnv(environment: NodeJS.ProcessEnv = process.env): RedisConnectionConfig {
  return loadConfig(withRedisEnv({}), environment).redis;
}

/**
 * The environment variables that {@link redisConfigFromEnv} reads back as `config`, e.g. to hand a
 * connection to a child process.
 *
 * @example
 * spawn('taskwire-worker', ['--family', 'email'], { env: { ...process.env, ...redisConfigToEnv(config) } });
 */
export function redisConfigToEnv(config: RedisConnectionConfig): Record<string, string> {
  const list = (addresses: RedisAddress[]) => addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`).join(',');
  const out: Record<string, string> = {};
  if (config.mode === 'single') out.REDIS_URL = config.url;
  if (config.mode === 'cluster') out.REDIS_CLUSTER_NODES = list(config.nodes);
  if (config.mode === 'sentinel') {
    out.REDIS_SENTINELS = list(config.sentinels);
    out.REDIS_SENTINEL_MASTER = config.masterName;
    if (config.sentinelUsername) out.REDIS_SENTINEL_USERNAME = config.sentinelUsername;
    if (config.sentinelPassword) out.REDIS_SENTINEL_PASSWORD = config.sentinelPassword;
    if (config.sentinelTls) out.REDIS_SENTINEL_TLS = 'true';
  }
  if (config.username) out.REDIS_USERNAME = config.username;
  if (config.password) out.REDIS_PASSWORD = config.password;
  const tlsSettings = config.tls ?? (config.mode === 'sentinel' ? config.sentinelTls : undefined);
  if (config.tls) out.REDIS_TLS = 'true';
  if (tlsSettings?.caFile) out.REDIS_TLS_CA = tlsSettings.caFile;
  if (tlsSettings?.servername) out.REDIS_TLS_SERVERNAME = tlsSettings.servername;
  return out;
}

/**
 * A one-line description for logs, without credentials.
 *
 * @example
 * describeRedis({ mode: 'single', url: 'redis://:pw@cache:6379' }); // 'redis://***@cache:6379'
 */
export function describeRedis(config: RedisConnectionConfig): string {
  const list = (addresses: RedisAddress[]) => addresses.map((a) => `${a.host}:${a.port}`).join(',');
  const suffix = `${config.tls ? ' (TLS)' : ''}${config.username ? ` as ${config.username}` : ''}`;
  if (config.mode === 'single') return `${config.url.replace(/\/\/([^@/]*)@/, '//***@')}${suffix}`;
  if (config.mode === 'cluster') return `cluster ${list(config.nodes)}${suffix}`;
  return `sentinel master '${config.masterName}' via ${list(config.sentinels)}${suffix}`;
}

/** A URL or a configuration, as every `redis` option accepts; a URL is a single node. */
export function toRedisConfig(target: string | RedisConnectionConfig): RedisConnectionConfig {
  return typeof target === 'string' ? { mode: 'single', url: target } : redisConnectionConfig.parse(target);
}

/**
 * The Redis options of the runtime's entry points (API server, queue hub, family worker): a URL
 * (single node) or a full {@link RedisConnectionConfig}; exactly one.
 */
export interface RedisTargetOptions {
  /** A single node, `redis://…` or `rediss://…`. */
  redisUrl?: string;
  /** Any topology: single node, Redis Cluster or Sentinel (see {@link redisConfigFromEnv}). */
  redis?: RedisConnectionConfig;
}

/**
 * The configuration given by {@link RedisTargetOptions}; throws when neither or both are set.
 *
 * @example
 * redisTarget({ redisUrl: 'redis://127.0.0.1:6379' }); // { mode: 'single', url: 'redis://127.0.0.1:6379' }
 */
export function redisTarget(options: RedisTargetOptions): RedisConnectionConfig {
  if ((options.redisUrl === undefined) === (options.redis === undefined)) {
    throw new TypeError('Give exactly one of `redisUrl` and `redis`');
  }
  return toRedisConfig(options.redis ?? (options.redisUrl as string));
}
