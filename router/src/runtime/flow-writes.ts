import {
  type AnyTask,
  type FlowControl,
  type FlowPlan,
  flowJobId,
  flowPlan,
  type GateKeys,
  gateKeys,
  TaskwireError,
} from '@taskwire/shared';
import { GATE_PARK_MS, readFlowWindows } from '@taskwire/shared/node';
import type { JobJson, JobsOptions } from 'bullmq';
import type { QueueHub } from './hub.ts';

/**
 * The enqueue side of a task's flow control (`unique`, `throttle`, `debounce`, `singleton`; see
 * the contract's `FlowControl`): each job gets BullMQ's deduplication for its key and an id of its
 * own, so that the id BullMQ answers tells a new job from the one a repeat joined. A debounce
 * with `maxDelayMs` reads its burst's start first (`readFlowWindows`) to bound the delay.
 */

/** What a flow-controlled job carries until it is written: its deduplication, or its gate keys. */
export type FlowWrite = { plan: FlowPlan; gate?: undefined } | { gate: { keys: GateKeys; parks: boolean }; plan?: undefined };

/**
 * The job options of one enqueue of a flow-controlled task. Throws INVALID_INPUT when the key
 * function gives no usable key (or throws), and for an idempotency key: the task deduplicates by
 * its flow key, and a job has one deduplication.
 */
export function flowJobOptions(
  task: AnyTask,
  input: unknown,
  opts: Readonly<JobsOptions>,
  now: number,
  flowKey?: string,
): { opts: JobsOptions; flow: FlowWrite } {
  if (task.flowSettings?.kind === 'gate') return gateJobOptions(task, input, opts, flowKey);
  if (opts.jobId !== undefined) {
    throw new TaskwireError(
      'INVALID_INPUT',
      `${task.id} deduplicates by its flow key (${task.flowSettings?.kind}); idempotencyKey is not accepted`,
    );
  }
  let plan: FlowPlan;
  try {
    plan = flowPlan(task.id, task.flow as FlowControl<unknown>, input, flowKey);
  } catch (error) {
    throw new TaskwireError('INVALID_INPUT', (error as Error).message, { cause: error });
  }
  const next: JobsOptions = { ...opts, jobId: flowJobId(now), deduplication: plan.deduplication };
  if (plan.delayMs !== undefined) next.delay = plan.delayMs;
  return { opts: next, flow: { plan } };
}

/**
 * A job of a task with concurrency or rate limits waits on its gate: added delayed (see
 * GATE_PARK_MS), queued by key once written, and promoted when admitted. One the caller delays
 * itself is queued by the worker that takes it when its time comes.
 */
function gateJobOptions(
  task: AnyTask,
  input: unknown,
  opts: Readonly<JobsOptions>,
  flowKey?: string,
): { opts: JobsOptions; flow: FlowWrite } {
  let keys: GateKeys;
  try {
    keys = gateKeys(task.id, task.flow as FlowControl<unknown>, input, flowKey);
  } catch (error) {
    throw new TaskwireError('INVALID_INPUT', (error as Error).message, { cause: error });
  }
  const parks = opts.delay === undefined;
  return { opts: parks ? { ...opts, delay: GATE_PARK_MS } : { ...opts }, flow: { gate: { keys, parks } } };
}

/**
 * Queues written jobs on their task's gate and promotes those admitted at once. A job not queued
 * here (Redis failed in between) is queued by the worker that takes it after GATE_PARK_MS.
 */
export async function parkOnGate(hub: QueueHub, task: AnyTask, written: readonly { id: string; flow?: FlowWrite | undefined }[]) {
  const parked = written.flatMap(({ id, flow }) => (flow?.gate?.parks ? [{ id, keys: flow.gate.keys }] : []));
  if (parked.length === 0) return;
  const { admitted } = await hub.run(() => hub.gate(task).park(parked));
  await promoteAll(hub, task.family, admitted);
}

/** Moves admitted jobs from delayed to waiting; one that is not delayed any more (a worker took it) is left as it is. */
export async function promoteAll(hub: QueueHub, family: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const backend = hub.queue(family).getBackend();
  await Promise.all(ids.map((id) => backend.promote(id).catch(() => {})));
}

/**
 * For debounces with `maxDelayMs`: reads (or starts) each burst's window (see `readFlowWindows`)
 * and sets each trailing job's delay so it runs at most `maxDelayMs` after its burst began.
 */
export async function applyFlowWindows(hub: QueueHub, task: AnyTask, jobs: readonly { job: JobJson; flow?: FlowWrite | undefined }[]) {
  if (!jobs.some((j) => j.flow?.plan?.window)) return;
  const delays = await hub.run(() =>
    readFlowWindows(
      hub.redis,
      hub.keys,
      task.family,
      jobs.map((j) => j.flow?.plan),
      Date.now(),
    ),
  );
  delays.forEach((delay, i) => {
    if (delay === undefined) return;
    const { opts } = (jobs[i] as { job: JobJson }).job;
    if (delay > 0) opts.delay = delay;
    else delete opts.delay;
  });
}

/**
 * When each job a repeat joined was enqueued: BullMQ answered another job's id than the one
 * given. Returns, per position, the joined job's enqueue time, or undefined for a new job.
 */
export async function joinedJobTimes(
  hub: QueueHub,
  family: string,
  written: readonly { job: JobJson; id: string; flow?: FlowWrite | undefined }[],
): Promise<(number | undefined)[]> {
  const joined = written.map((w) => (w.flow?.plan && w.id !== w.job.id ? w.id : undefined));
  if (joined.every((id) => id === undefined)) return joined.map(() => undefined);
  const queue = hub.queue(family);
  const pipeline = hub.redis.pipeline();
  for (const id of joined) if (id !== undefined) pipeline.hget(queue.toKey(id), 'timestamp');
  const answers = (await hub.run(() => pipeline.exec())) ?? [];
  let next = 0;
  return joined.map((id, i) => {
    if (id === undefined) return undefined;
    const [, timestamp] = answers[next++] ?? [];
    return Number(timestamp) || (written[i] as { job: JobJson }).job.timestamp;
  });
}
