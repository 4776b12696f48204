import type { AnyTask } from './task.ts';

/**
 * The BullMQ job options a contract implies, in the normalized form a BullMQ `Job` stores them
 * (`attempts` first, `backoff` an object). Written out here rather than imported, so this module
 * stays free of BullMQ; the value is assignable to BullMQ's `JobsOptions`.
 */
export interface ContractJobOptions {
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number };
  removeOnComplete: { count: number };
  removeOnFail: { count: number };
  /** BullMQ refuses data above this many bytes; callers check first to fail with PAYLOAD_TOO_LARGE. */
  sizeLimit: number;
}

/**
 * The job options of a task's contract defaults (`attempts` overridable per job): the one mapping
 * from a contract to BullMQ options, shared by the API's enqueue and a handler's `ctx.enqueue`.
 *
 * @example
 * const opts: JobsOptions = { ...contractJobOptions(sendEmail, undefined), jobId };
 * await queue.add(sendEmail.name, encodeEnvelope(sendEmail.version, input, { enqueuedAt: Date.now() }), opts);
 */
export function contractJobOptions(task: AnyTask, attempts: number | undefined): ContractJobOptions {
  const d = task.defaults;
  return {
    attempts: attempts ?? d.attempts,
    backoff: { type: d.backoff.type, delay: d.backoff.delayMs },
    removeOnComplete: { count: d.keepCompleted },
    removeOnFail: { count: d.keepFailed },
    sizeLimit: d.maxPayloadBytes,
  };
}
