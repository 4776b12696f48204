import { type AnyFamily, type AnyTask, decodeEnvelope, decodeFailureReason, type TaskwireErrorCode, taskOf } from '@taskwire/shared';
import type { Job, Worker } from 'bullmq';

interface JobFields {
  jobId: string;
  task: string;
  family: string;
  /** 1 for the first run. */
  attempt: number;
  /** The input fields the contract marks safe to log (`logFields`); nothing else of the payload. */
  input?: Record<string, unknown> | undefined;
}

/** Something that happened to a job in this worker, for logs and metrics. */
export type WorkerEvent =
  | ({ type: 'started' } & JobFields)
  | ({ type: 'completed'; durationMs: number } & JobFields)
  | ({ type: 'failed'; durationMs: number; code: TaskwireErrorCode; message: string; willRetry: boolean } & JobFields)
  | { type: 'error'; message: string };

/** The fields every event of a job carries, on `into` (one object per event, no spread). */
function withFields<T extends object>(into: T, family: AnyFamily, job: Job, attempt: number): T & JobFields {
  const event = into as T & JobFields;
  event.jobId = `${family.name}.${job.id}`;
  event.task = `${family.name}.${job.name}`;
  event.family = family.name;
  event.attempt = attempt;
  const task = taskOf(family, job.name);
  if (task && task.logFields.length > 0) event.input = loggedInput(task, job);
  return event;
}

// A job's `started` and `completed`/`failed` events carry the same logged fields: decode once.
const loggedInputs = new WeakMap<Job, Record<string, unknown>>();

function loggedInput(task: AnyTask, job: Job): Record<string, unknown> {
  let input = loggedInputs.get(job);
  if (!input) {
    const envelope = decodeEnvelope(job.data);
    const payload =
      envelope.ok && envelope.payload && typeof envelope.payload === 'object' ? (envelope.payload as Record<string, unknown>) : {};
    input = Object.fromEntries(task.logFields.filter((k) => k in payload).map((k) => [k, payload[k]]));
    loggedInputs.set(job, input);
  }
  return input;
}

const duration = (job: Job) => (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now());

/** Turns a BullMQ worker's events into {@link WorkerEvent}s. */
export function forwardWorkerEvents(worker: Worker, family: AnyFamily, emit: (event: WorkerEvent) => void): void {
  worker.on('error', (error) => emit({ type: 'error', message: error.message }));
  worker.on('active', (job) => emit(withFields({ type: 'started' as const }, family, job, job.attemptsMade + 1)));
  worker.on('completed', (job) =>
    emit(withFields({ type: 'completed' as const, durationMs: duration(job) }, family, job, job.attemptsMade)),
  );
  worker.on('failed', (job, error) => {
    if (!job) return;
    const info = decodeFailureReason(error.message);
    const failed = {
      type: 'failed' as const,
      durationMs: duration(job),
      code: info.code,
      message: info.message,
      willRetry: error.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1),
    };
    emit(withFields(failed, family, job, job.attemptsMade));
  });
}
