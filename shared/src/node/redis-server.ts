import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHUTDOWN_BOUND_MS, settleWithin } from './shutdown.ts';

/** A Redis the process can use, and how to let go of it. */
export interface RedisHandle {
  url: string;
  /** `env` (REDIS_URL), `local` (127.0.0.1:6379 answered) or `embedded` (spawned here). */
  source: 'env' | 'local' | 'embedded';
  /**
   * Stops the embedded server (no-op otherwise): SIGTERM, then SIGKILL if it has not exited
   * within `killAfterMs` (default {@link SHUTDOWN_BOUND_MS}; a frozen server ignores SIGTERM).
   */
  stop(killAfterMs?: number): Promise<void>;
}

/** Sends PING over a raw socket; true when `+PONG` (or an auth error, i.e. a Redis) answers. */
export function pingRedis(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      const reply = data.toString();
      done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface StartRedisOptions {
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /** Data directory; a fresh temp dir (removed on stop) when omitted. */
  dir?: string;
}

export interface SpawnedRedis {
  url: string;
  port: number;
  dir: string;
  pid: number;
  /** Signals the server (SIGTERM by default) and waits for it to exit; SIGKILL after `killAfterMs` when given. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
}

/** True when a `redis-server` binary is on PATH. */
export function hasRedisServerBinary(env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore', env }).status === 0;
}

/**
 * Starts a private `redis-server` from PATH (no persistence unless `args` ask for it) and waits
 * until it answers.
 */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<SpawnedRedis> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'taskwire-redis-')));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...(options.args ?? [])];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {});
  const deadline = Date.now() + 10_000;
  while (!(await pingRedis('127.0.0.1', port, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return spawnedRedis(child, exited, port, dir, ownDir);
}

/**
 * The handle of a `redis-server` process (server or sentinel) listening on `port`: `stop()` signals
 * it, waits for it to exit, and removes `dir` when `removeDir`.
 */
export function spawnedRedis(child: ChildProcess, exited: Promise<void>, port: number, dir: string, removeDir: boolean): SpawnedRedis {
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: child.pid ?? -1,
    async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs?: number) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        if (killAfterMs !== undefined && !(await settleWithin(exited, killAfterMs))) child.kill('SIGKILL');
        await exited;
      }
      if (removeDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Finds a Redis the way `npm start` and `npm test` do: `REDIS_URL` if set; else 127.0.0.1:6379 if
 * it answers; else an embedded `redis-server` from PATH on a free port with a temp dir; else an
 * error that says how to get one.
 */
export async function findOrStartRedis(options: { env?: NodeJS.ProcessEnv; localPort?: number } = {}): Promise<RedisHandle> {
  const env = options.env ?? process.env;
  const localPort = options.localPort ?? 6379;
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'env', stop: async () => {} };
  if (await pingRedis('127.0.0.1', localPort)) return { url: `redis://127.0.0.1:${localPort}`, source: 'local', stop: async () => {} };
  if (!hasRedisServerBinary(env)) {
    throw new Error(
      [
        `No Redis found: REDIS_URL is not set, nothing answers on 127.0.0.1:${localPort}, and \`redis-server\` is not on PATH.`,
        'Get one of:',
        '  - Debian/Ubuntu: sudo apt-get install -y redis-server',
        '  - macOS:         brew install redis',
        '  - Docker:        docker run -p 6379:6379 redis:7',
        '  - or set REDIS_URL=redis://host:port',
      ].join('\n'),
    );
  }
  const server = await startRedisServer();
  return { url: server.url, source: 'embedded', stop: (killAfterMs = SHUTDOWN_BOUND_MS) => server.stop('SIGTERM', killAfterMs) };
}
