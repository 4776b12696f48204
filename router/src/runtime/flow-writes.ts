import type { AnyTask, FlowWrite } from '@taskwire/shared';
import { promoteAdmitted, readFlowWindows } from '@taskwire/shared/node';
import type { JobJson } from 'bullmq';
import type { QueueHub } from './hub.ts';

/**
 * The API's side of a task's flow control, around the options `flowJobOptions` (shared) gives each
 * job: a debounce with `maxDelayMs` reads its burst's start before the write (`readFlowWindows`);
 * after it, a repeat that deduplication joined answers the joined job, and a gated task's jobs are
 * queued on its gate and promoted when admitted.
 */

/**
 * Queues written jobs on their task's gate and promotes those admitted at once. A job not queued
 * here (Redis failed in between) is queued by the worker that takes it after GATE_PARK_MS.
 */
export async function parkOnGate(hub: QueueHub, task: AnyTask, written: readonly { id: string; flow?: FlowWrite | undefined }[]) {
  const parked = written.flatMap(({ id, flow }) => (flow?.gate?.parks ? [{ id, keys: flow.gate.keys }] : []));
  if (parked.length === 0) return;
  // The jobs are written: a failure here must not fail the enqueue (a retry would add them
  // again). Each waits delayed until a worker takes it and queues it (GATE_PARK_MS).
  try {
    const { admitted } = await hub.run(() => hub.gate(task).park(parked));
    await promoteAdmitted(hub.queue(task.family), admitted);
  } catch {
    // Queued later by the worker that takes each job.
  }
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
