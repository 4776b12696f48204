import {
  type AnyTask,
  decodeEnvelope,
  decodeFailureReason,
  decodeValue,
  type ErrorInfo,
  formatJobId,
  JOB_FIELDS,
  type JobState,
  type JobView,
  taskOf,
  type WatchEvent,
  type WorkflowView,
} from '@taskwire/shared';
import { pipelineReplies } from '@taskwire/shared/node';
import type { Job } from 'bullmq';
import type { QueueHub } from './hub.ts';
import type { RawJobEvent } from './job-events.ts';

/** BullMQ states, as taskwire names them. */
export function toJobState(state: string): JobState {
  switch (state) {
    case 'waiting':
    case 'wait':
    case 'prioritized':
    case 'paused':
    case 'waiting-children':
      return 'waiting';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return 'unknown';
  }
}

/** The progress a job reported, or null (BullMQ starts every job at progress 0). */
export function decodeProgress(progress: unknown): unknown {
  if (progress === 0 || progress === undefined || progress === null) return null;
  return decodeValue(progress);
}

/** A BullMQ job as a typed JobView. */
export function toJobView(task: Pick<AnyTask, 'id' | 'family'>, job: Job, rawState: string): JobView {
  const envelope = decodeEnvelope(job.data);
  const state = toJobState(rawState);
  const delayUntil = job.delay > 0 ? job.timestamp + job.delay : null;
  return {
    id: formatJobId(task.family, job.id as string),
    task: task.id,
    state,
    version: envelope.ok ? envelope.version : 0,
    deferrals: envelope.ok ? (envelope.meta.deferrals ?? 0) : 0,
    input: envelope.ok ? envelope.payload : null,
    progress: decodeProgress(job.progress),
    result: state === 'completed' ? decodeValue(job.returnvalue) : null,
    error: job.failedReason ? decodeFailureReason(job.failedReason) : null,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    priority: job.opts.priority || null,
    // The job's own timestamp: jobs made by a schedule share one envelope but not one time.
    enqueuedAt: new Date(job.timestamp),
    runAt: state === 'delayed' && delayUntil ? new Date(delayUntil) : null,
    startedAt: job.processedOn ? new Date(job.processedOn) : null,
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : null,
  };
}

/** A job of any task as a view (tasks unknown to this deployment keep their raw name). */
export function viewOf(hub: QueueHub, family: string, job: Job, state: string): JobView {
  const task = taskOf(hub.family(family), job.name);
  return toJobView(task ?? { id: `${family}.${job.name}`, family }, job, state);
}

const REMOVED: ErrorInfo = { code: 'CANCELLED', message: 'The job was removed before it finished' };

/** A raw bus event as a typed watch event. */
export function toWatchEvent(event: Exclude<RawJobEvent, { type: 'moved' }>): WatchEvent {
  switch (event.type) {
    case 'progress':
      return { type: 'progress', progress: decodeValue(event.data) };
    case 'completed':
      return { type: 'completed', result: decodeValue(event.returnvalue) };
    case 'failed':
      return { type: 'failed', error: decodeFailureReason(event.failedReason) };
    case 'removed':
      return { type: 'failed', error: REMOVED };
  }
}

/**
 * A job's steps and children (one round trip), or null when it has neither: steps are fields of
 * the job's hash; children are in BullMQ's keys of the job.
 */
export async function workflowOf(hub: QueueHub, family: string, bullId: string): Promise<WorkflowView | null> {
  const parts = hub.keys.jobParts(family, bullId);
  const [fields, pending, completed, failed] = (await hub.run(() =>
    pipelineReplies(
      hub.redis.pipeline().hkeys(hub.keys.jobHash(family, bullId)).scard(parts.dependencies).hlen(parts.processed).hlen(parts.failed),
    ),
  )) as [string[], number, number, number];
  const { stepPrefix } = JOB_FIELDS;
  const steps = fields.filter((field) => field.startsWith(stepPrefix)).map((field) => field.slice(stepPrefix.length));
  if (steps.length === 0 && pending + completed + failed === 0) return null;
  return { steps, children: { pending, completed, failed } };
}
