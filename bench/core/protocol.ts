/**
 * What the orchestrator and its child processes say to each other over Node's IPC channel:
 * one request → one reply, typed per role.
 */

/** The three columns of the benchmark, in table order. */
export const COLUMNS = ['raw', 'naive', 'taskwire'] as const;
export type Column = (typeof COLUMNS)[number];

export const COLUMN_TITLES: Record<Column, string> = {
  raw: 'raw BullMQ',
  naive: 'naive tRPC',
  taskwire: 'taskwire',
};

/** One command: what it takes and what it answers. */
export interface Command<TArgs, TResult> {
  args: TArgs;
  result: TResult;
}

export type Commands = Record<string, Command<unknown, unknown>>;

/** Answered by every child. */
export type BaseCommands = {
  /** Resident set size now (bytes) and CPU time used so far (user + system, µs). */
  usage: Command<null, { rss: number; cpuMicros: number }>;
  /** Closes everything the child opened, then the child exits 0. */
  shutdown: Command<null, null>;
};

/** The producer side: a typed enqueue path, driven at a given shape. */
export type ClientCommands = BaseCommands & {
  /** `jobs` single enqueues, `inFlight` outstanding at any time; `ms` from first call to last reply. */
  single: Command<{ jobs: number; inFlight: number }, { ms: number }>;
  /** `jobs` enqueued `batch` per call, one call at a time. */
  bulk: Command<{ jobs: number; batch: number }, { ms: number }>;
  /**
   * Single enqueues at a steady `rate` (jobs/s) for `durationMs`; `maxLagMs`: worst lateness of a
   * send; `sentPerS`: the rate the sender kept; `roundTripMs`: p50/p99 of the enqueue calls
   * themselves (send → reply).
   */
  paced: Command<
    { rate: number; durationMs: number },
    { sent: number; ms: number; maxLagMs: number; sentPerS: number; roundTripMs: { p50: number; p99: number } }
  >;
};

/** The API process (naive and taskwire columns): nothing beyond the base commands. */
export type ServerCommands = BaseCommands;

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /**
   * Every job's latency as `[ms, jobs]` pairs, ms ascending (whole ms: the job carries a `Date`),
   * so that repetitions can be merged into one distribution.
   */
  histogram: [number, number][];
}

/** The consumer side: a worker that runs no-op jobs and counts them. */
export type WorkerCommands = BaseCommands & {
  /**
   * Builds the worker (connected, not yet taking jobs); `finish` resolves after `target` completions.
   * `keepLatencies: false` keeps no per-job data (the soak: a million latencies would look like a
   * leak); `finish` then reports no latency figures. Default true.
   */
  prepare: Command<{ concurrency: number; target: number; keepLatencies?: boolean }, null>;
  /** Starts taking jobs; the processing clock starts here. */
  start: Command<null, null>;
  /** Waits for `target` completions: time since `start`, and enqueue → handler-start latency. */
  finish: Command<null, { ms: number; latency: LatencySummary }>;
  /** Completions since `prepare`, now; fails once a job has failed. */
  progress: Command<null, { completed: number }>;
  /** Closes the worker (the process stays up for the next measurement). */
  stop: Command<null, null>;
};

/** What a child sends once it can take commands. */
export interface ReadyMessage {
  type: 'ready';
  /** e.g. the URL a server listens on. */
  info: Record<string, string>;
}

export interface ReplyMessage {
  type: 'reply';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface RequestMessage {
  id: number;
  cmd: string;
  args: unknown;
}

export type ChildMessage = ReadyMessage | ReplyMessage;
