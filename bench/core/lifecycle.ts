/**
 * How an orchestrator (`npm run bench`, `npm run soak`) lets go of what it started — its children
 * and its private Redis — on success, on error and on Ctrl-C/SIGTERM/SIGHUP.
 */
import { type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
import { Redis } from 'ioredis';
import { killAllChildren, stopAllChildren } from './parent.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A private redis-server and an admin connection to it. */
export interface PrivateRedis {
  server: SpawnedRedis;
  admin: Redis;
}

export interface Orchestrator {
  /** Starts a private redis-server (free port, no persistence) and connects to it; both are stopped on the way out. */
  startRedis(): Promise<PrivateRedis>;
}

/**
 * Runs `main`, then stops every child (asks, kills after 5 s) and the Redis server and exits with
 * `main`'s code (1 if it threw). Ctrl-C/SIGTERM/SIGHUP do the same clean-up and exit 130/143; a
 * second Ctrl-C a second later kills everything at once; at process exit whatever still runs is
 * SIGKILLed.
 *
 * @example
 * await orchestrate('soak', async (o) => {
 *   const { server, admin } = await o.startRedis();
 *   const worker = await BenchChild.spawn<WorkerCommands>('taskwire worker', entry, { args: { column: 'taskwire', redis: server.url } });
 *   return 0;
 * });
 */
export async function orchestrate(name: string, main: (orchestrator: Orchestrator) => Promise<number>): Promise<void> {
  let redis: SpawnedRedis | undefined;
  let admin: Redis | undefined;
  let cleaning: Promise<void> | undefined;
  let interruptedAt = 0;

  /** Stops every child, then Redis. Safe to call more than once (error path and signal at once). */
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      await stopAllChildren(5_000);
      admin?.disconnect();
      await redis?.stop().catch(() => {});
    })();
    return cleaning;
  };

  /** SIGKILLs the Redis server, if it still runs. */
  const killRedis = (): void => {
    try {
      if (redis) process.kill(redis.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (interruptedAt === 0) {
      interruptedAt = Date.now();
      log(`\n${signal}: stopping the ${name} processes and Redis… (again to force)`);
      void cleanup().finally(() => process.exit(code));
      return;
    }
    // The same Ctrl-C may arrive twice (through npm and tsx); a second press a moment later forces.
    if (Date.now() - interruptedAt < 1_000) return;
    killAllChildren();
    killRedis();
    process.exit(code);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // Last resort: nothing outlives this process, however it ends.
  process.on('exit', () => {
    killAllChildren();
    killRedis();
  });

  const orchestrator: Orchestrator = {
    async startRedis() {
      redis = await startRedisServer();
      admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      // Errors surface through the commands that fail (and Ctrl-C stops Redis under it).
      admin.on('error', () => {});
      return { server: redis, admin };
    },
  };

  let code = 1;
  try {
    code = await main(orchestrator);
  } catch (error) {
    if (interruptedAt === 0) log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    if (interruptedAt === 0) {
      await cleanup();
      process.exit(code);
    }
  }
}

/**
 * The command line as `parse` reads it, or the exit code when there is nothing to run: 0 after
 * `--help` (`parse` returns undefined; the usage is printed), 2 after a bad option (its message
 * and the usage are printed).
 *
 * @example
 * const config = readCommandLine(parseOptions, USAGE);
 * if (typeof config === 'number') return config;
 */
export function readCommandLine<T extends object>(parse: (argv: string[]) => T | undefined, usage: string): T | number {
  try {
    const config = parse(process.argv.slice(2));
    if (config !== undefined) return config;
    log(usage);
    return 0;
  } catch (error) {
    log(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
}
