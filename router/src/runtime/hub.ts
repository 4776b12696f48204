import { type AnyFamily, type AnyTask, createKeys, type Keys, parseJobId, type Registry, TaskwireError } from '@taskwire/shared';
import {
  classifyRedisError,
  createRedis,
  FlowGate,
  type RedisConnection,
  type RedisConnectionConfig,
  type RedisTargetOptions,
  redisTarget,
  SHUTDOWN_BOUND_MS,
  settleWithin,
} from '@taskwire/shared/node';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { DEFAULT_REDIS_DEADLINE_MS } from './deadline.ts';
import { type EventSource, JobEventBus } from './job-events.ts';
import { JobWriter } from './job-writer.ts';
import { ReplicaWait, type WaitReplicasOptions } from './replica-wait.ts';

export interface QueueHubOptions extends RedisTargetOptions {
  /** Key prefix (see `createKeys`). */
  prefix?: string;
  /** A Redis call that takes longer fails with QUEUE_UNAVAILABLE (default 1,500 ms). */
  deadlineMs?: number;
  /** How long a family's event reader keeps running after its last watcher left (ms; default 30,000). */
  eventIdleMs?: number;
  /**
   * Acknowledge an enqueue only once its job is on this many replicas (Redis `WAIT`), so that a
   * failover to a replica cannot lose it. Off by default. See `ReplicaWait`.
   */
  waitReplicas?: WaitReplicasOptions;
}

/**
 * The router's access to Redis: one BullMQ Queue per family over one fail-fast connection, and
 * one QueueEvents reader per family for `watch`. Every Redis call goes through {@link run}, so
 * an unreachable Redis is a QUEUE_UNAVAILABLE error within the deadline, never a hang.
 */
export class QueueHub {
  readonly keys: Keys;
  readonly redis: RedisConnection;
  /** Where Redis is (single node, cluster or sentinel); every connection of the hub uses it. */
  readonly redisConfig: RedisConnectionConfig;
  private readonly queues = new Map<string, Queue>();
  private readonly writers = new Map<string, JobWriter>();
  private readonly gates = new Map<string, FlowGate>();
  private readonly buses = new Map<string, JobEventBus>();
  /** How long one Redis call may take before it fails with QUEUE_UNAVAILABLE (ms). */
  readonly deadlineMs: number;
  private readonly replicaWait: ReplicaWait | undefined;

  constructor(
    readonly registry: Registry,
    private readonly options: QueueHubOptions,
  ) {
    this.keys = createKeys(options.prefix);
    this.deadlineMs = options.deadlineMs ?? DEFAULT_REDIS_DEADLINE_MS;
    this.redisConfig = redisTarget(options);
    this.redis = createRedis(this.redisConfig, 'fail-fast', 'taskwire-api');
    try {
      if (options.waitReplicas) this.replicaWait = new ReplicaWait(this.redis, options.waitReplicas, this.deadlineMs);
    } catch (error) {
      this.redis.disconnect();
      throw error;
    }
    for (const family of Object.values(registry)) {
      const queue = new Queue(this.keys.queueName(family.name), {
        connection: this.redis,
        prefix: this.keys.prefix,
      });
      queue.on('error', () => {});
      this.queues.set(family.name, queue);
      this.writers.set(family.name, new JobWriter(queue, this.redis));
    }
  }

  family(name: string): AnyFamily {
    const family = Object.hasOwn(this.registry, name) ? this.registry[name] : undefined;
    if (!family) throw new TaskwireError('NOT_FOUND', `No family '${name}'`);
    return family;
  }

  queue(family: string): Queue {
    const queue = this.queues.get(family);
    if (!queue) throw new TaskwireError('NOT_FOUND', `No family '${family}'`);
    return queue;
  }

  /** The concurrency and rate limits of a task with `flow.concurrency` / `flow.rateLimit` (see FlowGate). */
  gate(task: AnyTask): FlowGate {
    let gate = this.gates.get(task.id);
    if (!gate) {
      gate = new FlowGate(this.redis, this.keys, task);
      this.gates.set(task.id, gate);
    }
    return gate;
  }

  /** Adds the jobs of a family (see {@link JobWriter}). */
  writer(family: string): JobWriter {
    const writer = this.writers.get(family);
    if (!writer) throw new TaskwireError('NOT_FOUND', `No family '${family}'`);
    return writer;
  }

  /**
   * Resolves once every write this hub has sent so far is on the replicas `waitReplicas` asks for
   * (at once when it asks for none); throws QUEUE_UNAVAILABLE when they do not confirm in time.
   */
  async replicated(): Promise<void> {
    const wait = this.replicaWait;
    if (!wait) return;
    const stored = 'the job is stored on the master, but';
    const retry = '(a failover now could lose it; a retry with the same idempotency key returns the same job)';
    let confirmed: number;
    try {
      confirmed = await this.run(() => wait.confirm());
    } catch (error) {
      if (error instanceof TaskwireError) throw error;
      // E.g. the master was demoted while WAIT was pending ("UNBLOCKED … master -> replica").
      throw unavailable(`${stored} waiting for its replicas failed: ${(error as Error).message} ${retry}`, error);
    }
    if (confirmed < wait.replicas) {
      throw unavailable(
        `${stored} ${confirmed} of the ${wait.replicas} replicas required confirmed it within ${wait.timeoutMs} ms ${retry}`,
      );
    }
  }

  /** True when enqueues wait for replicas (`waitReplicas`). */
  get waitsForReplicas(): boolean {
    return this.replicaWait !== undefined;
  }

  /** Replicas an enqueue waits for (`waitReplicas`); 0 when it does not wait. */
  get requiredReplicas(): number {
    return this.replicaWait?.replicas ?? 0;
  }

  /**
   * With `waitReplicas`: how many replicas enqueues wait for, and how many the master has online
   * now (fewer, and every enqueue fails with QUEUE_UNAVAILABLE). Throws QUEUE_UNAVAILABLE.
   */
  async replicas(): Promise<{ required: number; online: number } | undefined> {
    const wait = this.replicaWait;
    if (!wait) return undefined;
    return { required: wait.replicas, online: await this.run(() => wait.online()) };
  }

  /** Resolves a public job id to its family's queue and BullMQ id. */
  locate(id: string): { family: AnyFamily; queue: Queue; bullId: string } {
    const parsed = parseJobId(id);
    const family = parsed && Object.hasOwn(this.registry, parsed.family) ? this.registry[parsed.family] : undefined;
    if (!parsed || !family) throw new TaskwireError('NOT_FOUND', `No job '${id}'`);
    return { family, queue: this.queue(family.name), bullId: parsed.bullId };
  }

  /** Resolves when Redis answers, or after `timeoutMs` (false) — start-up never blocks on Redis. */
  async waitUntilConnected(timeoutMs = 3_000): Promise<boolean> {
    if (this.connected) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  /**
   * A job and its state, read state first: a job read after its state is at least as advanced,
   * so a `completed` state always comes with the job's result.
   */
  async fetchJob(queue: Queue, bullId: string): Promise<{ job: Job; state: string } | undefined> {
    return this.run(async () => {
      const state = await queue.getJobState(bullId);
      const job = await queue.getJob(bullId);
      return job ? { job, state: state === 'unknown' ? await job.getState() : state } : undefined;
    });
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /**
   * Runs a Redis operation under the deadline. Fails at once when the connection is down, and
   * maps connection failures to QUEUE_UNAVAILABLE and BullMQ's size limit to PAYLOAD_TOO_LARGE
   * (see `classifyRedisError`); other errors pass through.
   */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (!this.connected) throw unavailable(`Redis connection is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`Redis did not answer within ${this.deadlineMs} ms`)), this.deadlineMs);
    });
    try {
      return await Promise.race([operation(), deadline]);
    } catch (error) {
      if (error instanceof TaskwireError) throw error;
      switch (classifyRedisError(error)) {
        case 'outcome-unknown':
        case 'unavailable':
          throw unavailable(error instanceof Error ? error.message : String(error), error);
        case 'too-large':
          throw new TaskwireError('PAYLOAD_TOO_LARGE', (error as Error).message, { cause: error });
        default:
          throw error;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The event bus of a family; its reader runs while someone watches a job of the family. */
  events(family: string): JobEventBus {
    let bus = this.buses.get(family);
    if (!bus) {
      const queue = this.queue(family);
      const source: EventSource = {
        position: async () => {
          const [last] = await this.redis.xrevrange(queue.keys.events as string, '+', '-', 'COUNT', 1);
          return last?.[0] ?? '0-0';
        },
        open: (lastEventId) => {
          const connection = createRedis(this.redisConfig, 'blocking', `taskwire-api-events-${family}`);
          const events = new QueueEvents(this.keys.queueName(family), { connection, prefix: this.keys.prefix, lastEventId });
          return {
            events,
            close: async () => {
              // Closing waits for Redis; a Redis that is gone must not hold the API's shutdown.
              await settleWithin(events.close(), SHUTDOWN_BOUND_MS);
              connection.disconnect();
            },
          };
        },
      };
      bus = new JobEventBus(source, this.options.eventIdleMs);
      this.buses.set(family, bus);
    }
    return bus;
  }

  /** Round trip to Redis, in ms; throws QUEUE_UNAVAILABLE. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.run(() => this.redis.ping());
    return performance.now() - started;
  }

  /**
   * Stops the event readers and the queues, then drops the connection. Resolves within
   * {@link SHUTDOWN_BOUND_MS} whatever Redis does (closing may wait on it; dropping does not).
   */
  async close(): Promise<void> {
    const closed = (async () => {
      await Promise.allSettled([...this.buses.values()].map((bus) => bus.close()));
      await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    })();
    await settleWithin(closed, SHUTDOWN_BOUND_MS);
    this.redis.disconnect();
  }
}

function unavailable(message: string, cause?: unknown): TaskwireError {
  return new TaskwireError('QUEUE_UNAVAILABLE', `Queue unavailable: ${message}`, { cause });
}
