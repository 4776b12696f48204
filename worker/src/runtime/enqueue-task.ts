import { createHash } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import {
  type AnyTask,
  contractJobOptions,
  createKeys,
  type Envelope,
  encodeEnvelopeSized,
  type FlowPlan,
  type FlowWrite,
  findTask,
  flowJobOptions,
  formatIssues,
  formatJobId,
  type GateKeys,
  type Registry,
  type TaskCallInput,
  TaskwireError,
  toIssues,
} from '@taskwire/shared';
import { FlowGate, promoteAdmitted, type RedisConnection, readFlowWindows } from '@taskwire/shared/node';
import type { JobsOptions, Queue } from 'bullmq';

/** Options of `ctx.enqueue`. */
export interface EnqueueTaskOptions {
  /**
   * Makes the enqueue idempotent: the job's BullMQ id is derived from the task and this key, so
   * the same key adds one job for as long as that job is kept (the task's `keepCompleted` /
   * `keepFailed`); a repeat returns it with `deduplicated: true`. Use something that names the
   * effect (`license-reminder:LIC-1:1767225600000`), so a retried handler does not add it twice.
   */
  key?: string | undefined;
}

/** What `ctx.enqueue` returns. */
export interface EnqueuedTask {
  /** Public job id, `<family>.<BullMQ id>`: enough for every `jobs.*` call. */
  id: string;
  /** True when a job with the same key was already there; nothing was added. */
  deduplicated: boolean;
}

/** What enqueueing needs: a handler context (or a test fixture) provides both. */
export interface EnqueueTaskDeps {
  registry: Registry;
  queue(family: string): Queue;
}

/**
 * The BullMQ job id of an enqueue with an idempotency key: a letter and 40 hex digits of the
 * SHA-256 of the task id and the key, so it holds no `:` and is never taken for a generated
 * (integer) id, and two tasks of one family never share it.
 *
 * @example
 * keyedJobId(sendEmail, 'license-reminder:LIC-1:1767225600000'); // 'k3f1c…' (41 characters)
 */
export function keyedJobId(task: AnyTask, key: string): string {
  return `k${createHash('sha256').update(`${task.id}\n${key}`).digest('hex').slice(0, 40)}`;
}

/** The active trace (the running job's span, when tracing is on), to continue in the new job. */
function currentTraceparent(): string | undefined {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * Enqueues a task from inside a handler, the way the API does: the input is parsed with the task's
 * contract, encoded into the same envelope (so a `Date` arrives as a `Date`), and added with the
 * job options the contract implies (attempts, backoff, retention, size limit). The new job then
 * runs under its own family's workers, concurrency and rate limit.
 *
 * Throws a non-retryable `TaskwireError`: `UNKNOWN_TASK` when the task is not in the worker's
 * registry, `INVALID_INPUT` (with the issues) when the input does not match the contract,
 * `PAYLOAD_TOO_LARGE` above the task's `maxPayloadBytes`. These are bugs of the calling handler,
 * which retrying cannot fix. A Redis failure is thrown as is, and retried with the job.
 *
 * @example
 * const { id, deduplicated } = await ctx.enqueue(sendEmail, { to, subject, html }, { key: `welcome:${userId}` });
 */
export async function enqueueTask<TTask extends AnyTask>(
  deps: EnqueueTaskDeps,
  task: TTask,
  input: TaskCallInput<TTask>,
  options: EnqueueTaskOptions = {},
): Promise<EnqueuedTask> {
  const { data, opts, parsed } = prepareTaskJob(deps, task, input);
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key === '')) {
    throw new TaskwireError('INVALID_INPUT', `Cannot enqueue ${task.id}: an idempotency key must be a non-empty string`);
  }
  if (options.key !== undefined) opts.jobId = keyedJobId(task, options.key);

  const queue = deps.queue(task.family);
  let flow: FlowWrite | undefined;
  if (task.flow) {
    const planned = flowJobOptions(task, parsed, opts, Date.now());
    Object.assign(opts, planned.opts);
    flow = planned.flow;
    if (flow.plan?.window) await applyFlowWindow(queue, task, flow.plan, opts);
  }
  const job = await queue.add(task.name, data, opts);
  const bullId = job.id as string;
  // Flow control joined the enqueue to an earlier job when BullMQ answers another id than ours.
  if (flow?.plan) return { id: formatJobId(task.family, bullId), deduplicated: bullId !== opts.jobId };
  // Written: a failure to queue it must not fail the enqueue; the worker that takes it queues it.
  if (flow?.gate?.parks) await parkOnGate(queue, task, bullId, flow.gate.keys).catch(() => {});
  if (opts.jobId === undefined) return { id: formatJobId(task.family, bullId), deduplicated: false };
  // BullMQ answers an add whose id exists with that id and leaves the stored job alone; the job
  // it returns is the one built here, so only the stored one tells whose it is. A job already
  // gone (run and removed since) is taken for the one just added.
  const stored = await queue.getJob(bullId);
  const ours = stored === undefined || (stored.timestamp === job.timestamp && JSON.stringify(stored.data) === JSON.stringify(data));
  return { id: formatJobId(task.family, bullId), deduplicated: !ours };
}

/** A task's job, ready to add: its envelope and the job options its contract implies. */
export interface PreparedTaskJob {
  data: Envelope;
  opts: JobsOptions;
  /** The input as the contract parsed it. */
  parsed: unknown;
}

/**
 * Parses and encodes a task's input as the API does (see {@link enqueueTask}, which throws the
 * same errors): the envelope and the contract's job options, without adding anything.
 */
export function prepareTaskJob(deps: Pick<EnqueueTaskDeps, 'registry'>, task: AnyTask, input: unknown): PreparedTaskJob {
  if (findTask(deps.registry, task.id) === undefined) {
    const known = Object.keys(deps.registry).join(', ') || 'none';
    throw new TaskwireError('UNKNOWN_TASK', `Cannot enqueue ${task.id}: it is not in this worker's registry (families: ${known})`);
  }
  const parsed = task.input.safeParse(input);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues);
    throw new TaskwireError('INVALID_INPUT', `Invalid ${task.id} input: ${formatIssues(issues)}`, { issues });
  }
  let encoded: ReturnType<typeof encodeEnvelopeSized>;
  try {
    const now = Date.now();
    const ttlMs = task.defaults.ttlMs;
    encoded = encodeEnvelopeSized(task.version, parsed.data, {
      enqueuedAt: now,
      traceparent: currentTraceparent(),
      expiresAt: ttlMs === undefined ? undefined : now + ttlMs,
    });
  } catch (error) {
    // superjson refuses keys such as `__proto__` or `constructor` (prototype pollution guard).
    throw new TaskwireError('INVALID_INPUT', `${task.id} input cannot be stored: ${(error as Error).message}`, { cause: error });
  }
  const limit = task.defaults.maxPayloadBytes;
  if (encoded.maxBytes > limit && Buffer.byteLength(JSON.stringify(encoded.envelope)) > limit) {
    throw new TaskwireError('PAYLOAD_TOO_LARGE', `The ${task.id} payload exceeds ${limit} bytes`);
  }
  return { data: encoded.envelope, opts: contractJobOptions(task, undefined), parsed: parsed.data };
}

/** A debounce with `maxDelayMs`: the job's delay bounded by its burst's start (see `readFlowWindows`). */
async function applyFlowWindow(queue: Queue, task: AnyTask, plan: FlowPlan, opts: JobsOptions): Promise<void> {
  const redis = (await queue.getBackend().client) as unknown as RedisConnection;
  const [delay] = await readFlowWindows(redis, createKeys(queue.opts.prefix), task.family, [plan], Date.now());
  if (delay !== undefined && delay > 0) opts.delay = delay;
  else if (delay !== undefined) delete opts.delay;
}

async function parkOnGate(queue: Queue, task: AnyTask, bullId: string, keys: GateKeys): Promise<void> {
  const redis = (await queue.getBackend().client) as unknown as RedisConnection;
  const { admitted } = await new FlowGate(redis, createKeys(queue.opts.prefix), task).park([{ id: bullId, keys }]);
  await promoteAdmitted(queue, admitted);
}
