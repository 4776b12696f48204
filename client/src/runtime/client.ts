import type { TaskwireRouter } from '@taskwire/router/types';
import type {
  AnyJobView,
  AnyTask,
  CancelResult,
  DeadLetterListInput,
  EnqueueOptions,
  HealthView,
  JobListInput,
  JobPage,
  JobRef,
  JobView,
  QueueStats,
  Registry,
  ReplayResult,
  ScheduleInput,
  ScheduleView,
  ScopedToken,
  ScopedTokenRequest,
  TaskCallInput,
  TaskOutput,
  TaskProgress,
  WatchEvent,
} from '@taskwire/shared';
// Run-time imports of shared come from its zod-free entry only: a browser bundle carries no schema code.
import { deserializeWire, serializeWire, TaskwireError, type WireValue, withBatchedReplies } from '@taskwire/shared/wire';
import { createTRPCClient, httpBatchLink, splitLink, type TRPCClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { call, JobFailedError } from './errors.ts';
import { type ClientPlatform, webPlatform } from './platform.ts';
import { type SseOptions, subscribe } from './sse.ts';
import { iterate } from './subscription.ts';
import { type CallType, WsRpc } from './ws-rpc.ts';

/** Calls per HTTP batch request: the API's default bound (`maxBatchCalls`). */
const MAX_BATCH_CALLS = 100;

export interface TaskwireClientOptions {
  /** The tRPC endpoint, e.g. `http://localhost:3000/trpc`. */
  url: string;
  /**
   * The API token. On Node it is sent as `Authorization: Bearer <token>`. A browser cannot set
   * headers on WebSockets and `EventSource`, so there it travels as tRPC connection params: in the
   * first WebSocket message, and in the URL of the SSE requests of `watch` and `run` — where
   * proxy and access logs may record it. Give browsers short-lived tokens.
   */
  token?: string;
  /** Extra headers for every HTTP request (and, on Node, WebSocket upgrades and SSE requests). */
  headers?: Record<string, string>;
  /**
   * How queries and mutations travel (`watch` and `run` always use SSE):
   * - `'websocket'` (default): one connection, calls of the same tick in one frame; several
   *   times the throughput of HTTP and sub-millisecond calls. On Node it does not keep the process
   *   alive while idle; `close()` ends it.
   * - `'http'`: batched HTTP requests, for networks whose proxies do not pass WebSocket upgrades.
   */
  transport?: 'websocket' | 'http';
  /**
   * Where WebSockets and `EventSource` come from. Default: the runtime's own (browsers, Deno,
   * Bun), or, on Node, the `ws` and `eventsource` packages (see {@link ClientPlatform}).
   */
  platform?: ClientPlatform;
}

/** Options of `run`: enqueue options, plus how long to wait for the result. */
export interface RunOptions<TTask extends AnyTask> extends Omit<EnqueueOptions, 'timeoutMs'> {
  /**
   * Longest wait for the result (ms). When it elapses, the job is cancelled and `run` rejects with
   * code `TIMEOUT`. Also bounds each attempt on the worker. Default: no limit on the wait.
   */
  timeoutMs?: number;
  onProgress?: (progress: TaskProgress<TTask>) => void;
  /** Aborting stops waiting and cancels the job. */
  signal?: AbortSignal;
}

/** Options of `watch`. */
export interface WatchOptions {
  /** Aborting ends the watch (the job goes on). */
  signal?: AbortSignal | undefined;
  /** A token for this watch only, in place of the client's: e.g. `job:<id>:read`, scoped to the job. */
  token?: string | undefined;
}

/** Per-task calls, typed from the contract. */
export interface TaskClient<TTask extends AnyTask> {
  /** Validates and enqueues one job. */
  enqueue(input: TaskCallInput<TTask>, options?: EnqueueOptions): Promise<JobRef<TTask['id']>>;
  /** Validates and enqueues many jobs in one call (one pipelined bulk add). All or nothing on invalid input. */
  enqueueMany(items: { input: TaskCallInput<TTask>; options?: EnqueueOptions }[]): Promise<JobRef<TTask['id']>[]>;
  /** The job now, typed with this task's input, progress and result. */
  get(id: string): Promise<JobView<TTask>>;
  /**
   * The job's state, then its progress, then `completed` or `failed`; ends after that.
   * `token` follows the job with another token than the client's (e.g. one scoped to this job,
   * minted by your server); the API ends the watch with UNAUTHORIZED when that token expires.
   */
  watch(id: string, options?: WatchOptions): AsyncIterable<WatchEvent<TTask>>;
  /** Enqueues and waits for the typed result; rejects with a {@link JobFailedError} on failure. */
  run(input: TaskCallInput<TTask>, options?: RunOptions<TTask>): Promise<TaskOutput<TTask>>;
  /** Recurring jobs of this task (cron or every N ms), one per key. */
  schedules: {
    /** Creates or replaces the schedule under `key`; idempotent. */
    upsert(schedule: ScheduleInput<TTask>): Promise<ScheduleView<TTask>>;
    remove(key: string): Promise<{ key: string; removed: boolean }>;
    list(): Promise<ScheduleView<TTask>[]>;
  };
}

export type RegistryClient<TRegistry extends Registry> = {
  [F in keyof TRegistry]: { [K in keyof TRegistry[F]['tasks']]: TaskClient<TRegistry[F]['tasks'][K]> };
};

/** What `jobs.list` and `jobs.page` take: a family (default: all the token reads), a state, a page. */
export type JobListFilter<TRegistry extends Registry> = JobListInput<keyof TRegistry & string>;

/** What `deadLetter.list` and `deadLetter.page` take: a family (default: all), a page. */
export type DeadLetterFilter<TRegistry extends Registry> = DeadLetterListInput<keyof TRegistry & string>;

export interface OpsClient<TRegistry extends Registry> {
  jobs: {
    get(id: string): Promise<AnyJobView<TRegistry>>;
    cancel(id: string): Promise<CancelResult>;
    retry(id: string): Promise<{ id: string; state: 'waiting' }>;
    /** Deletes a job that is not running (cancel a running one first). */
    remove(id: string): Promise<{ id: string; removed: true }>;
    /** One page of jobs in one state, newest first (the jobs of {@link page}). */
    list(filter?: JobListFilter<TRegistry>): Promise<AnyJobView<TRegistry>[]>;
    /**
     * One page of jobs and the cursor of the next (null after the last). Across families, page
     * with `cursor`; `offset` only pages one family.
     *
     * @example
     * let cursor: string | undefined;
     * do {
     *   const page = await tw.jobs.page({ state: 'failed', limit: 100, cursor });
     *   for (const job of page.jobs) console.log(job.id);
     *   cursor = page.nextCursor ?? undefined;
     * } while (cursor);
     */
    page(filter?: JobListFilter<TRegistry>): Promise<JobPage<AnyJobView<TRegistry>>>;
  };
  queues: {
    stats(family?: keyof TRegistry & string): Promise<QueueStats[]>;
    /** Stops every worker of the family from taking new jobs (admin). */
    pause(family: keyof TRegistry & string): Promise<{ family: string; paused: true }>;
    resume(family: keyof TRegistry & string): Promise<{ family: string; paused: false }>;
  };
  /** Failed jobs (admin): list them, or replay them after re-validation against today's contract. */
  deadLetter: {
    list(filter?: DeadLetterFilter<TRegistry>): Promise<AnyJobView<TRegistry>[]>;
    /** One page of failed jobs and the cursor of the next (null after the last); see `jobs.page`. */
    page(filter?: DeadLetterFilter<TRegistry>): Promise<JobPage<AnyJobView<TRegistry>>>;
    replay(target: { id: string } | { all: true; family?: keyof TRegistry & string }): Promise<ReplayResult>;
  };
  health(): Promise<HealthView>;
  /** Short-lived tokens for browsers, scoped to one job or one task; signed by the API, verified by every replica. */
  tokens: {
    /**
     * Mints a token; the caller must hold the family scope behind each scope asked for.
     *
     * @example
     * // On your server, after enqueueing: a token the page may watch this job with, for 10 minutes.
     * const { token } = await tw.tokens.create({ scopes: [`job:${ref.id}:read`], ttlMs: 600_000 });
     */
    create(request: ScopedTokenRequest<TRegistry>): Promise<ScopedToken<TRegistry>>;
  };
  /**
   * The raw typed tRPC client (custom links, React Query integrations…), over HTTP. Its type
   * comes from `@taskwire/router/types`: install `@taskwire/router` (an optional peer; nothing of
   * it runs in the client) to use it typed.
   */
  trpc: TRPCClient<TaskwireRouter<TRegistry>>;
  /** Closes the WebSocket connection, if one is open; calls in flight fail. The next call reopens it. */
  close(): void;
}

export type TaskwireClient<TRegistry extends Registry> = RegistryClient<TRegistry> & OpsClient<TRegistry>;

/** superjson's format, written and read by taskwire's faster codec (replies are revived in place). */
const wire = {
  serialize: serializeWire,
  deserialize: (payload: unknown) => deserializeWire(payload as WireValue, { inPlace: true }),
};

// biome-ignore lint/suspicious/noExplicitAny: the proxy is walked by name at run time
type Untyped = any;

/**
 * A typed client for a registry. Queries and mutations go over one WebSocket (or batched HTTP);
 * `watch` and `run` use SSE. Runs in browsers, Deno, Bun and Node.
 *
 * @example
 * const tw = createClient<typeof families>({ url: 'http://localhost:3000/trpc' });
 * const ref = await tw.email.send.enqueue({ to: 'a@b.co', subject: 'Hi', html: '<p>Hi</p>' });
 */
export function createClient<TRegistry extends Registry>(options: TaskwireClientOptions): TaskwireClient<TRegistry> {
  const platform = options.platform ?? webPlatform;
  const sse = withToken({ url: options.url, platform, headers: { ...options.headers } }, options.token);
  const { headers, connectionParams } = sse;
  const trpc = createTRPCClient<TaskwireRouter<TRegistry>>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: subscriptionLink(sse),
        // Queries travel in the URL: a batch is cut before it exceeds what HTTP servers accept
        // (16 KiB in Node; mutations send their input in the body). A batch holds at most as many
        // calls as the API accepts in one request.
        false: httpBatchLink({
          url: options.url,
          transformer: wire,
          headers: () => headers,
          maxURLLength: 8_000,
          maxItems: MAX_BATCH_CALLS,
        }),
      }),
    ],
  });
  const raw = trpc as Untyped;
  const ws =
    options.transport === 'http'
      ? undefined
      : new WsRpc(withBatchedReplies(options.url.replace(/^http/, 'ws')), { platform, headers, connectionParams });
  // Every query and mutation goes through here, over the chosen transport.
  const invoke = ws
    ? (type: CallType, path: string, input?: unknown): Promise<Untyped> => call(() => ws.call(type, path, input))
    : (type: CallType, path: string, input?: unknown): Promise<Untyped> =>
        call(() => {
          const procedure = path.split('.').reduce((node, key) => node[key], raw);
          return type === 'query' ? procedure.query(input) : procedure.mutate(input);
        });

  const taskClient = (family: string, name: string): TaskClient<AnyTask> => {
    const at = `${family}.${name}`;
    const self: TaskClient<AnyTask> = {
      enqueue: (input, opts) => invoke('mutation', `${at}.enqueue`, { input, options: opts }),
      enqueueMany: (items) => invoke('mutation', `${at}.enqueueMany`, { items }),
      get: (id) => invoke('query', `${at}.get`, { id }),
      watch: (id, opts) => iterate(opts?.token ? withToken(sse, opts.token) : sse, `${at}.watch`, { id }, opts?.signal),
      schedules: {
        upsert: (schedule) => invoke('mutation', `${at}.schedules.upsert`, schedule),
        remove: (key) => invoke('mutation', `${at}.schedules.remove`, { key }),
        list: () => invoke('query', `${at}.schedules.list`),
      },
      run: async (input, opts = {}) => {
        const { timeoutMs, onProgress, signal, ...enqueueOptions } = opts;
        const ref = await self.enqueue(input, timeoutMs ? { ...enqueueOptions, timeoutMs } : enqueueOptions);
        return waitForResult(ref.id, self, () => invoke('mutation', 'jobs.cancel', { id: ref.id }), { timeoutMs, onProgress, signal });
      },
    };
    return self;
  };

  const cache = new Map<string, unknown>();
  const ops: OpsClient<TRegistry> = {
    jobs: {
      get: (id) => invoke('query', 'jobs.get', { id }),
      cancel: (id) => invoke('mutation', 'jobs.cancel', { id }),
      retry: (id) => invoke('mutation', 'jobs.retry', { id }),
      remove: (id) => invoke('mutation', 'jobs.remove', { id }),
      list: async (filter) => (await invoke('query', 'jobs.list', filter ?? {})).jobs,
      page: (filter) => invoke('query', 'jobs.list', filter ?? {}),
    },
    queues: {
      stats: (family) => invoke('query', 'queues.stats', family ? { family } : undefined),
      pause: (family) => invoke('mutation', 'queues.pause', { family }),
      resume: (family) => invoke('mutation', 'queues.resume', { family }),
    },
    deadLetter: {
      list: async (filter) => (await invoke('query', 'deadLetter.list', filter ?? {})).jobs,
      page: (filter) => invoke('query', 'deadLetter.list', filter ?? {}),
      replay: (target) => invoke('mutation', 'deadLetter.replay', target),
    },
    health: () => invoke('query', 'health'),
    tokens: { create: (request) => invoke('mutation', 'tokens.create', request) },
    trpc,
    close: () => ws?.close(),
  };
  return new Proxy(ops, {
    get(target, key, receiver) {
      if (typeof key !== 'string' || key in target) return Reflect.get(target, key, receiver);
      let family = cache.get(key);
      if (!family) {
        const tasks = new Map<string, TaskClient<AnyTask>>();
        family = new Proxy(
          {},
          {
            get(_, name) {
              if (typeof name !== 'string') return undefined;
              let task = tasks.get(name);
              if (!task) {
                task = taskClient(key, name);
                tasks.set(name, task);
              }
              return task;
            },
          },
        );
        cache.set(key, family);
      }
      return family;
    },
  }) as TaskwireClient<TRegistry>;
}

/**
 * Where a token goes: `Authorization: Bearer` on HTTP requests (and on WebSocket upgrades and SSE
 * requests where the platform sends headers), and where it cannot (browsers), tRPC connection
 * params too: in the first WebSocket message, in the URL of SSE requests.
 */
function withToken(options: SseOptions, token: string | undefined): SseOptions {
  if (!token) return options;
  const headers = { ...options.headers, authorization: `Bearer ${token}` };
  return { ...options, headers, connectionParams: options.platform.sendsHeaders ? undefined : { token } };
}

/** tRPC's link for subscriptions, on the client's own SSE reader: what `tw.trpc`'s `.subscribe` uses. */
function subscriptionLink(options: SseOptions): TRPCLink<AnyRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        const stream = subscribe(options, op.path, op.input, {
          onData: (data) => observer.next({ result: { type: 'data', data } }),
          onError: (error) => observer.error(TRPCClientError.from(error)),
          onComplete: () => observer.complete(),
        });
        return () => stream.unsubscribe();
      });
}

async function waitForResult(
  id: string,
  task: TaskClient<AnyTask>,
  cancel: () => Promise<unknown>,
  opts: { timeoutMs?: number | undefined; onProgress?: ((p: unknown) => void) | undefined; signal?: AbortSignal | undefined },
): Promise<unknown> {
  const stop = new AbortController();
  const onAbort = () => stop.abort('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = opts.timeoutMs ? setTimeout(() => stop.abort('timeout'), opts.timeoutMs) : undefined;
  try {
    for await (const event of task.watch(id, { signal: stop.signal })) {
      if (event.type === 'progress') opts.onProgress?.(event.progress);
      else if (event.type === 'completed') return event.result;
      else if (event.type === 'failed') throw new JobFailedError(id, event.error);
    }
    if (stop.signal.aborted) {
      await cancel().catch(() => {});
      throw stop.signal.reason === 'timeout'
        ? new TaskwireError('TIMEOUT', `No result for job ${id} within ${opts.timeoutMs} ms; the job was cancelled`)
        : new TaskwireError('CANCELLED', `Stopped waiting for job ${id}; the job was cancelled`);
    }
    throw new TaskwireError('INTERNAL', `The watch of job ${id} ended without a result`);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
