import {
  type AnyTask,
  type ErrorInfo,
  encodeFailureReason,
  type FlowControl,
  formatJobId,
  GATE_PARK_MS,
  type GateKeys,
  gateKeys,
  JOB_FIELDS,
} from '@taskwire/shared';
import { DelayedError, type Job, UnrecoverableError, WaitingChildrenError, WaitingError } from 'bullmq';
import { type AttemptFailure, callHandler, checkOutput, expiredOnly, failureOf, findHandler, readInput } from './attempt.ts';
import { type DeferralPolicy, deferToNewerWorker } from './deferral.ts';
import { enqueueTask } from './enqueue-task.ts';
import type { WorkerGates } from './gates.ts';
import type { FamilyHandlers, HandlerContext, JobInfo } from './handlers.ts';
import { JobAbort } from './job-abort.ts';
import { JobContext, type JobHost } from './job-context.ts';
import type { WorkflowPort } from './workflow.ts';
import { RedisWorkflowPort } from './workflow-redis.ts';

/** Everything in the handler context that does not depend on the job. */
export type ContextBase = Pick<HandlerContext, 'redis' | 'keys' | 'registry' | 'queue'>;

export interface RunJobDeps {
  handlers: FamilyHandlers;
  base: ContextBase;
  /** The stop switches of the jobs running now, by BullMQ id, so cancel and shutdown can reach them. */
  running: Map<string, JobAbort>;
  deferral: DeferralPolicy;
  /** The family's concurrency and rate limits: a gated job runs only with a slot. */
  gates: WorkerGates;
}

/** The error BullMQ stores for a failed attempt; retryable or not, per the error table. */
function failure(info: ErrorInfo, retryable: boolean): Error {
  const reason = encodeFailureReason({ ...info, retryable });
  return retryable ? new Error(reason) : new UnrecoverableError(reason);
}

const raise = ({ info, retryable }: AttemptFailure): Error => failure(info, retryable);

/** A job's context host in a worker: its BullMQ job, its lock token, the worker's connection. */
class BullJobHost implements JobHost {
  private boundEnqueue: HandlerContext['enqueue'] | undefined;

  constructor(
    private readonly base: ContextBase,
    private readonly job: Job,
    private readonly token: string | undefined,
    private readonly family: string,
  ) {}

  get redis() {
    return this.base.redis;
  }

  get keys() {
    return this.base.keys;
  }

  get registry() {
    return this.base.registry;
  }

  get queue() {
    return this.base.queue;
  }

  get enqueue(): HandlerContext['enqueue'] {
    this.boundEnqueue ??= (task, input, options) => enqueueTask(this.base, task, input, options);
    return this.boundEnqueue;
  }

  async progress(encoded: object): Promise<void> {
    await this.job.updateProgress(encoded);
  }

  async log(line: string): Promise<void> {
    await this.job.log(line);
  }

  workflowPort(): WorkflowPort {
    return new RedisWorkflowPort(this.job, this.token, this.family, this.base.keys, this.base.redis, this.base.queue);
  }
}

/**
 * Runs one job: decode the envelope, parse the input with the contract, run the handler under
 * its timeout and abort signal, parse the output, encode the result. A job that cannot be
 * understood fails once, unretried; a job interrupted by shutdown goes back to the queue; a job
 * that sleeps or waits on its children is moved (delayed, waiting-children) and runs again later.
 */
export async function runJob(deps: RunJobDeps, job: Job, token: string | undefined): Promise<unknown> {
  const found = findHandler(deps.handlers, job.name);
  if ('info' in found) throw raise(found);
  const { task, handler } = found;
  let read = readInput(task, job.data, Date.now());
  if (expiredOnly(read) && (await isResumable(deps.base, task.family, job)))
    read = readInput(task, job.data, Date.now(), { resumed: true });
  if (read.kind === 'newer') throw failure(await deferToNewerWorker(job, token, task, read.version, read.meta, deps.deferral), false);
  if (read.kind === 'failed') throw raise(read.failure);

  if (task.flowSettings?.kind === 'gate' && !(await mayRun(deps.gates, task, job, read.input, read.meta.flowKey))) {
    // Back in line for a slot (delayed, no attempt spent): promoted when its turn comes. A slot
    // given to it meanwhile (another process freed one while this one was active, so its
    // promote found nothing to promote) is taken up now.
    await job.moveToDelayed(Date.now() + GATE_PARK_MS, token);
    await deps.gates.promoteIfHeld(task, job.id as string);
    throw new DelayedError();
  }

  const stop = new JobAbort();
  const bullId = job.id as string;
  deps.running.set(bullId, stop);
  const timeoutMs = read.meta.timeoutMs ?? task.defaults.timeoutMs;
  const timer = setTimeout(() => stop.abort('timeout'), timeoutMs);

  const info: JobInfo = {
    id: formatJobId(task.family, bullId),
    task: task.id,
    attempt: job.attemptsMade + 1,
    attempts: job.opts.attempts ?? 1,
    version: read.version,
    enqueuedAt: new Date(read.meta.enqueuedAt),
  };
  const ctx = new JobContext(new BullJobHost(deps.base, job, token, task.family), info, task, stop);

  let output: unknown;
  try {
    // A handler that ignores its signal is not waited for once the job is stopped.
    output = await stop.race(callHandler(handler, read.input, ctx));
  } catch (error) {
    const reason = stop.reason;
    if (reason === 'suspended') {
      // Moved already (to delayed, or to waiting-children): it runs again when it may go on.
      throw ctx.workflow?.suspension === 'children' ? new WaitingChildrenError() : new DelayedError();
    }
    if (reason === 'shutdown') {
      // Not the job's fault: back to the queue without spending an attempt.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw raise(failureOf(reason, error, timeoutMs));
  } finally {
    clearTimeout(timer);
    deps.running.delete(bullId);
    // Workflow calls still in flight (a handler that did not await them) leave the job alone now.
    ctx.workflow?.end();
  }

  const checked = checkOutput(task, output);
  if (!checked.ok) throw raise(checked.failure);
  return checked.value;
}

/** Whether a job of a task with concurrency or rate limits holds (or now takes) a slot. */
async function mayRun(gates: WorkerGates, task: AnyTask, job: Job, input: unknown, flowKey: string | undefined): Promise<boolean> {
  let keys: GateKeys;
  try {
    keys = gateKeys(task.id, task.flow as FlowControl<unknown>, input, flowKey);
  } catch (error) {
    throw failure({ code: 'INVALID_PAYLOAD', message: (error as Error).message }, false);
  }
  return gates.enter(task, job.id as string, keys);
}

/** Whether the job is a workflow that waited (its expiry no longer applies). */
async function isResumable(base: ContextBase, family: string, job: Job): Promise<boolean> {
  return (await base.redis.hexists(base.keys.jobHash(family, job.id as string), JOB_FIELDS.resumable)) === 1;
}
