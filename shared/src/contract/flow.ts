import { TaskwireError } from './errors.ts';
import type { AnyTask } from './task.ts';

/**
 * Flow control a task declares in its contract, each knob keyed by a function of the input (typed
 * from the task's input schema) and carried by BullMQ's job deduplication:
 *
 * - `unique`: while a job of a key is unfinished, and for at most `ttlMs`, enqueues of that key
 *   return it (`deduplicated: true`) instead of adding a job (Asynq's `Unique`).
 * - `throttle`: at most one job per key per `ttlMs` window, whether the first has finished or not;
 *   the window's repeats return its job.
 * - `debounce`: a burst of enqueues of one key becomes one run. `trailing` (default): it runs
 *   `delayMs` after the last enqueue of the burst, with the last input; `leading`: it runs at
 *   once with the first input, and repeats until the key has been quiet for `delayMs` return it.
 *   `maxDelayMs` bounds a burst that never goes quiet: a trailing run starts at most that long
 *   after the burst's first enqueue, and a leading burst starts a new run after that long.
 * - `singleton`: one job of a key at a time: while one waits to start, repeats return it; while
 *   one runs, the latest repeat is kept and runs after it (earlier ones are dropped).
 *
 * One of them per task (a job has one deduplication id).
 */
export type FlowControl<TInput> =
  | { unique: UniqueFlow<TInput>; throttle?: never; debounce?: never; singleton?: never; concurrency?: never; rateLimit?: never }
  | { throttle: ThrottleFlow<TInput>; unique?: never; debounce?: never; singleton?: never; concurrency?: never; rateLimit?: never }
  | { debounce: DebounceFlow<TInput>; unique?: never; throttle?: never; singleton?: never; concurrency?: never; rateLimit?: never }
  | { singleton: SingletonFlow<TInput>; unique?: never; throttle?: never; debounce?: never; concurrency?: never; rateLimit?: never }
  | GateFlow<TInput>;

/**
 * Limits on running jobs, per key and in total, and a rate per key, across every worker process
 * of the family: `concurrency` is one rule or two (one with a `key`, one without); `rateLimit`
 * starts at most `max` jobs of a key per `durationMs`. Jobs waiting on a limit are served
 * round-robin by key (the key of the keyed concurrency rule, else of the rate limit), so a key
 * with a deep backlog does not delay a key that enqueues one job. They wait as delayed jobs.
 */
export type GateFlow<TInput> = {
  unique?: never;
  throttle?: never;
  debounce?: never;
  singleton?: never;
} & (
  | { concurrency: ConcurrencyRule<TInput> | readonly ConcurrencyRule<TInput>[]; rateLimit?: RateRule<TInput> }
  | { rateLimit: RateRule<TInput>; concurrency?: ConcurrencyRule<TInput> | readonly ConcurrencyRule<TInput>[] }
);

/** At most `limit` jobs of the task running at once: per value of `key`, or in total without one. */
export interface ConcurrencyRule<TInput> {
  key?: FlowKey<TInput>;
  limit: number;
}

/** At most `max` jobs of a key started per `durationMs` (a sliding window). */
export interface RateRule<TInput> {
  key: FlowKey<TInput>;
  max: number;
  durationMs: number;
}

/** The key of a flow knob: jobs with equal keys are one flow. Returns a non-empty string (at most 500 characters). */
export type FlowKey<TInput> = (input: TInput) => string;

export interface UniqueFlow<TInput> {
  key: FlowKey<TInput>;
  /** Longest time a job holds its key (ms); it is released earlier when the job finishes. */
  ttlMs: number;
}

export interface ThrottleFlow<TInput> {
  key: FlowKey<TInput>;
  /** The window (ms): one job per key in it. */
  ttlMs: number;
}

export interface DebounceFlow<TInput> {
  key: FlowKey<TInput>;
  /** Quiet time that ends a burst (ms). */
  delayMs: number;
  /** `trailing` (default): one run after the burst, with the last input; `leading`: one run at its start, with the first. */
  mode?: 'trailing' | 'leading';
  /** Longest a burst may defer its run (trailing) or suppress a new one (leading), from its first enqueue (ms). */
  maxDelayMs?: number;
}

export interface SingletonFlow<TInput> {
  key: FlowKey<TInput>;
}

/** Which knob, for the contract check and the docs (`gate`: concurrency and rate limits). */
export type FlowKind = DeduplicationKind | 'gate';
/** The knobs carried by BullMQ's deduplication. */
export type DeduplicationKind = 'unique' | 'throttle' | 'debounce' | 'singleton';

/** The settings of a task's flow control without its key function: what the contract lock records. */
export interface FlowSettings {
  kind: FlowKind;
  ttlMs?: number;
  delayMs?: number;
  mode?: 'trailing' | 'leading';
  maxDelayMs?: number;
  /** For `gate`: running jobs per key, in total, and starts per key per window; each absent when not limited. */
  perKey?: number;
  total?: number;
  rateMax?: number;
  rateDurationMs?: number;
}

/** Per key of a gated task: jobs waiting on a limit, and running. */
export interface GateKeyStats {
  key: string;
  waiting: number;
  running: number;
}

/** A gated task's jobs running and waiting on a limit, in total and for the keys with the most waiting. */
export interface GateStats {
  task: string;
  running: number;
  waiting: number;
  /** The keys with the most waiting jobs (then the most running), at most 10 in `queues.stats`. */
  keys: GateKeyStats[];
}

/** A gated job's keys: its fairness group (the keyed concurrency rule's key, else the rate key, else '') and its rate key. */
export interface GateKeys {
  group: string;
  rate: string;
}

/** BullMQ's job deduplication options (`JobsOptions['deduplication']`), as taskwire sets them. */
export interface DeduplicationOptions {
  id: string;
  ttl?: number;
  extend?: boolean;
  replace?: boolean;
  keepLastIfActive?: boolean;
}

/** How one enqueue of a flow-controlled task is written. */
export interface FlowPlan {
  /** BullMQ's deduplication of the job. */
  deduplication: DeduplicationOptions;
  /** A trailing debounce's delay before `maxDelayMs` is applied (ms). */
  delayMs?: number;
  /** Set for a debounce with `maxDelayMs`: the burst window to read before writing (see `flowWindow`). */
  window?: { maxDelayMs: number; delayMs: number; leading: boolean };
}

const MAX_KEY_LENGTH = 500;

/** A job id of taskwire's own for a flow-controlled job (never an integer, no `:`), so that the id BullMQ answers tells a new job from a joined one. */
export function flowJobId(now = Date.now()): string {
  return `f${now.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
const MAX_WINDOW_MS = 366 * 86_400_000;

/** Checks a contract's flow settings; throws a message naming the task. */
export function validateFlow(taskId: string, flow: FlowControl<never> | undefined): FlowSettings | undefined {
  if (flow === undefined) return undefined;
  const kinds = (['unique', 'throttle', 'debounce', 'singleton'] as const).filter((kind) => flow[kind] !== undefined);
  const gated = flow.concurrency !== undefined || flow.rateLimit !== undefined;
  if (gated && kinds.length > 0)
    throw new Error(`defineTask(${taskId}): flow.concurrency and flow.rateLimit do not combine with ${kinds[0]}`);
  if (gated) return validateGate(taskId, flow as GateFlow<never>);
  if (kinds.length !== 1) {
    throw new Error(
      `defineTask(${taskId}): flow takes one of unique, throttle, debounce or singleton (or concurrency and rateLimit), got ${kinds.length}`,
    );
  }
  const kind = kinds[0] as DeduplicationKind;
  const knob = flow[kind] as { key: unknown; ttlMs?: unknown; delayMs?: unknown; mode?: unknown; maxDelayMs?: unknown };
  if (typeof knob.key !== 'function') throw new Error(`defineTask(${taskId}): flow.${kind}.key must be a function of the input`);
  const duration = (name: string, value: unknown, required: boolean): number | undefined => {
    if (value === undefined && !required) return undefined;
    if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_WINDOW_MS)) {
      throw new Error(`defineTask(${taskId}): flow.${kind}.${name} must be an integer of milliseconds from 1 to ${MAX_WINDOW_MS}`);
    }
    return value as number;
  };
  switch (kind) {
    case 'unique':
    case 'throttle':
      return { kind, ttlMs: duration('ttlMs', knob.ttlMs, true) as number };
    case 'debounce': {
      if (knob.mode !== undefined && knob.mode !== 'trailing' && knob.mode !== 'leading') {
        throw new Error(`defineTask(${taskId}): flow.debounce.mode must be 'trailing' or 'leading'`);
      }
      const delayMs = duration('delayMs', knob.delayMs, true) as number;
      const maxDelayMs = duration('maxDelayMs', knob.maxDelayMs, false);
      if (maxDelayMs !== undefined && maxDelayMs < delayMs)
        throw new Error(`defineTask(${taskId}): flow.debounce.maxDelayMs is below delayMs`);
      const mode = (knob.mode as 'trailing' | 'leading' | undefined) ?? 'trailing';
      return maxDelayMs === undefined ? { kind, delayMs, mode } : { kind, delayMs, mode, maxDelayMs };
    }
    case 'singleton':
      return { kind };
  }
}

/**
 * The deduplication of one enqueue: its id (the task, the knob and the key from the input) and
 * BullMQ's options for the knob. Throws a message when the key function gives no usable key.
 *
 * @example
 * flowPlan('search.reindex', { debounce: { key: (i) => i.projectId, delayMs: 5_000 } }, { projectId: 'p1' });
 * // { deduplication: { id: 'search.reindex:debounce:p1', ttl: 5000, extend: true, replace: true, keepLastIfActive: true }, delayMs: 5000 }
 */
export function flowPlan(taskId: string, flow: FlowControl<unknown>, input: unknown, keyOverride?: string): FlowPlan {
  const kind: DeduplicationKind = flow.unique ? 'unique' : flow.throttle ? 'throttle' : flow.debounce ? 'debounce' : 'singleton';
  const knob = flow[kind] as { key: FlowKey<unknown> };
  const key = keyOverride ?? knob.key(input);
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new Error(`the ${kind} key of ${taskId} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
  const id = `${taskId}:${kind}:${key}`;
  switch (kind) {
    case 'unique':
    case 'throttle':
      return { deduplication: { id, ttl: (flow[kind] as UniqueFlow<unknown>).ttlMs } };
    case 'singleton':
      return { deduplication: { id, keepLastIfActive: true } };
    case 'debounce': {
      const { delayMs, mode, maxDelayMs } = flow.debounce as DebounceFlow<unknown>;
      const leading = mode === 'leading';
      const window = maxDelayMs === undefined ? undefined : { maxDelayMs, delayMs, leading };
      if (leading) return { deduplication: { id, ttl: delayMs, extend: true }, ...(window ? { window } : {}) };
      return {
        deduplication: { id, ttl: delayMs, extend: true, replace: true, keepLastIfActive: true },
        delayMs,
        ...(window ? { window } : {}),
      };
    }
  }
}

/** The concurrency rules of a gated task, as a list. */
function rulesOf<TInput>(flow: GateFlow<TInput>): readonly ConcurrencyRule<TInput>[] {
  if (flow.concurrency === undefined) return [];
  return Array.isArray(flow.concurrency) ? flow.concurrency : [flow.concurrency as ConcurrencyRule<TInput>];
}

function validateGate(taskId: string, flow: GateFlow<never>): FlowSettings {
  const rules = rulesOf(flow);
  const count = (value: unknown, what: string, max: number) => {
    if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max)) {
      throw new Error(`defineTask(${taskId}): flow.${what} must be an integer from 1 to ${max}`);
    }
    return value as number;
  };
  const keyed = rules.filter((rule) => rule.key !== undefined);
  const total = rules.filter((rule) => rule.key === undefined);
  if (keyed.length > 1 || total.length > 1 || (rules.length === 0 && flow.concurrency !== undefined)) {
    throw new Error(`defineTask(${taskId}): flow.concurrency takes one or two rules: at most one with a key and one without`);
  }
  if (keyed[0] && typeof keyed[0].key !== 'function')
    throw new Error(`defineTask(${taskId}): flow.concurrency key must be a function of the input`);
  const settings: FlowSettings = { kind: 'gate' };
  if (keyed[0]) settings.perKey = count(keyed[0].limit, 'concurrency limit', 10_000);
  if (total[0]) settings.total = count(total[0].limit, 'concurrency limit', 100_000);
  if (flow.rateLimit !== undefined) {
    if (typeof flow.rateLimit.key !== 'function')
      throw new Error(`defineTask(${taskId}): flow.rateLimit.key must be a function of the input`);
    settings.rateMax = count(flow.rateLimit.max, 'rateLimit.max', 100_000);
    settings.rateDurationMs = count(flow.rateLimit.durationMs, 'rateLimit.durationMs', MAX_WINDOW_MS);
  }
  return settings;
}

/** The keys of a gated job, from its input. Throws a message when a key function gives no usable key. */
export function gateKeys(taskId: string, flow: FlowControl<unknown>, input: unknown, keyOverride?: string): GateKeys {
  const gate = flow as GateFlow<unknown>;
  const keyOf = (fn: FlowKey<unknown>, what: string) => {
    const key = fn(input);
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new Error(`the ${what} key of ${taskId} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
    }
    return key;
  };
  const keyed = rulesOf(gate).find((rule) => rule.key !== undefined);
  // An override is the keyed concurrency rule's key, else the rate limit's.
  const rate = gate.rateLimit ? (!keyed && keyOverride ? keyOverride : keyOf(gate.rateLimit.key, 'rateLimit')) : '';
  const group = keyed?.key ? (keyOverride ?? keyOf(keyed.key, 'concurrency')) : rate;
  return { group, rate };
}

/**
 * How long a job waiting on a flow limit stays delayed before a worker looks at it anyway (ms).
 * Jobs are promoted as soon as a slot frees; this only bounds the wait of a job whose place in
 * line was lost (an API that died between adding it and queueing it): a worker then queues it.
 */
export const GATE_PARK_MS = 10 * 60_000;

/** The BullMQ job options flow control touches. */
export interface FlowJobOptions {
  jobId?: string | undefined;
  delay?: number | undefined;
  deduplication?: DeduplicationOptions | undefined;
}

/** What a flow-controlled job carries until it is written: its deduplication, or its gate keys. */
export type FlowWrite = { plan: FlowPlan; gate?: undefined } | { gate: { keys: GateKeys; parks: boolean }; plan?: undefined };

/**
 * The job options of one enqueue of a flow-controlled task, for every way in (the API, handlers'
 * `ctx.enqueue`): a deduplicated task's job gets BullMQ's deduplication for its key and an id of
 * its own, so that the id BullMQ answers tells a new job from the one a repeat joined; a gated
 * task's job is added delayed ({@link GATE_PARK_MS}) to wait in line for a slot, unless its caller
 * delays it (then the worker that takes it queues it). `flowKey` replaces the input's key.
 * Throws INVALID_INPUT when there is no usable key, and for an idempotency key (`opts.jobId`) on
 * a deduplicated task: a job has one deduplication.
 *
 * @example
 * const { opts, flow } = flowJobOptions(task, input, { attempts: 3 }, Date.now());
 */
export function flowJobOptions<TOptions extends FlowJobOptions>(
  task: AnyTask,
  input: unknown,
  opts: Readonly<TOptions>,
  now: number,
  flowKey?: string,
): { opts: TOptions; flow: FlowWrite } {
  const keyed = <T>(compute: () => T): T => {
    try {
      return compute();
    } catch (error) {
      throw new TaskwireError('INVALID_INPUT', (error as Error).message, { cause: error });
    }
  };
  const flow = task.flow as FlowControl<unknown>;
  if (task.flowSettings?.kind === 'gate') {
    const keys = keyed(() => gateKeys(task.id, flow, input, flowKey));
    const parks = opts.delay === undefined;
    return { opts: parks ? { ...opts, delay: GATE_PARK_MS } : { ...opts }, flow: { gate: { keys, parks } } };
  }
  if (opts.jobId !== undefined) {
    throw new TaskwireError(
      'INVALID_INPUT',
      `${task.id} deduplicates by its flow key (${task.flowSettings?.kind}); an idempotency key is not accepted`,
    );
  }
  const plan = keyed(() => flowPlan(task.id, flow, input, flowKey));
  const next: TOptions = { ...opts, jobId: flowJobId(now), deduplication: plan.deduplication };
  if (plan.delayMs !== undefined) next.delay = plan.delayMs;
  return { opts: next, flow: { plan } };
}
