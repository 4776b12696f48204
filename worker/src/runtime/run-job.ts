import {
  type AnyTask,
  decodeEnvelope,
  type ErrorInfo,
  encodeFailureReason,
  encodeValue,
  type FlowControl,
  formatIssues,
  formatJobId,
  GATE_PARK_MS,
  type GateKeys,
  gateKeys,
  TaskwireError,
  taskOf,
  toIssues,
  upgradePayload,
} from '@taskwire/shared';
import { DelayedError, type Job, UnrecoverableError, WaitingChildrenError, WaitingError } from 'bullmq';
import { type DeferralPolicy, deferToNewerWorker } from './deferral.ts';
import { enqueueTask } from './enqueue-task.ts';
import type { WorkerGates } from './gates.ts';
import type { FamilyHandlers, HandlerContext, JobInfo } from './handlers.ts';
import { JobAbort } from './job-abort.ts';
import { Workflow } from './workflow.ts';
import { RedisWorkflowPort } from './workflow-redis.ts';

export interface RunJobDeps {
  handlers: FamilyHandlers;
  /** Everything in the handler context that does not depend on the job. */
  base: Pick<HandlerContext, 'redis' | 'keys' | 'registry' | 'queue'>;
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

function fromHandlerError(error: unknown): Error {
  if (error instanceof TaskwireError) return failure(error.toInfo(), error.retryable);
  const message = error instanceof Error ? error.message : String(error);
  return failure({ code: 'HANDLER_ERROR', message }, true);
}

type ContextBase = RunJobDeps['base'];

/**
 * A handler's `ctx`. A class, not an object literal, so every job's context has the same shape;
 * `progress`, `log` and `enqueue` are bound on first read (handlers pass `ctx.progress` around),
 * and the signal is created only if read.
 */
class JobContext implements HandlerContext {
  readonly redis: ContextBase['redis'];
  readonly keys: ContextBase['keys'];
  readonly registry: ContextBase['registry'];
  readonly queue: ContextBase['queue'];
  private boundProgress: HandlerContext['progress'] | undefined;
  private boundLog: HandlerContext['log'] | undefined;
  private boundEnqueue: HandlerContext['enqueue'] | undefined;
  /** The job's steps, sleeps and children (created on first use). */
  workflow: Workflow | undefined;

  constructor(
    private readonly base: ContextBase,
    readonly job: JobInfo,
    private readonly bull: Job,
    private readonly token: string | undefined,
    private readonly task: AnyTask,
    private readonly stop: JobAbort,
  ) {
    this.redis = base.redis;
    this.keys = base.keys;
    this.registry = base.registry;
    this.queue = base.queue;
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  get progress(): HandlerContext['progress'] {
    this.boundProgress ??= (progress) => reportProgress(this.task, this.bull, progress);
    return this.boundProgress;
  }

  get log(): HandlerContext['log'] {
    this.boundLog ??= async (line) => {
      await this.bull.log(line);
    };
    return this.boundLog;
  }

  get enqueue(): HandlerContext['enqueue'] {
    this.boundEnqueue ??= (task, input, options) => enqueueTask(this, task, input, options);
    return this.boundEnqueue;
  }

  private flow(): Workflow {
    if (!this.workflow) {
      const { family } = this.task;
      const port = new RedisWorkflowPort(this.bull, this.token, family, this.base.keys, this.base.redis, this.base.queue);
      this.workflow = new Workflow(port, this.base.registry, () => this.stop.abort('suspended'));
    }
    return this.workflow;
  }

  readonly step: HandlerContext['step'] = (name, fn) => this.flow().step(name, fn);
  readonly sleep: HandlerContext['sleep'] = (name, ms) => this.flow().sleep(name, ms);
  readonly sleepUntil: HandlerContext['sleepUntil'] = (name, at) => this.flow().sleepUntil(name, at);
  readonly run: HandlerContext['run'] = (task, input, options) => this.flow().run(task, input, options);
  readonly runAll = ((calls: never, options?: { settled?: boolean }) => this.flow().runAll(calls, options)) as HandlerContext['runAll'];
}

async function reportProgress(task: AnyTask, job: Job, progress: unknown): Promise<void> {
  const checked = task.progress.safeParse(progress);
  if (!checked.success) {
    const issues = toIssues(checked.error.issues);
    throw new TaskwireError('INVALID_PROGRESS', `Invalid ${task.id} progress: ${formatIssues(issues)}`, { issues });
  }
  await job.updateProgress(encodeValue(checked.data) as object);
}

/** The handler's result as a promise, a synchronous throw included. */
function call(handler: (input: unknown, ctx: HandlerContext) => unknown, input: unknown, ctx: HandlerContext): Promise<unknown> {
  try {
    return Promise.resolve(handler(input, ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs one job: decode the envelope, parse the input with the contract, run the handler under
 * its timeout and abort signal, parse the output, encode the result. A job that cannot be
 * understood fails once, unretried; a job interrupted by shutdown goes back to the queue.
 */
export async function runJob(deps: RunJobDeps, job: Job, token: string | undefined): Promise<unknown> {
  const { family } = deps.handlers;
  // Own properties only: a job named `constructor` or `__proto__` is not a task.
  const task: AnyTask | undefined = taskOf(family, job.name);
  const handlers = deps.handlers.handlers as Record<string, (input: unknown, ctx: HandlerContext) => unknown>;
  const handler = Object.hasOwn(handlers, job.name) ? handlers[job.name] : undefined;
  if (!task || !handler) {
    throw failure({ code: 'UNKNOWN_TASK', message: `Family '${family.name}' has no task '${job.name}'` }, false);
  }
  const envelope = decodeEnvelope(job.data);
  if (!envelope.ok) throw failure({ code: 'INVALID_PAYLOAD', message: envelope.reason }, false);
  const { expiresAt } = envelope.meta;
  if (expiresAt !== undefined && Date.now() >= expiresAt) {
    // Never run: not this attempt, nor any retry.
    throw failure({ code: 'EXPIRED', message: `Not started before its expiry (${new Date(expiresAt).toISOString()})` }, false);
  }
  const upgraded = upgradePayload(task, envelope.version, envelope.payload);
  if (upgraded.kind === 'newer') {
    throw failure(await deferToNewerWorker(job, token, task, envelope.version, envelope.meta, deps.deferral), false);
  }
  if (upgraded.kind === 'invalid') throw failure(upgraded.info, false);
  const parsed = task.input.safeParse(upgraded.payload);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues);
    throw failure({ code: 'INVALID_PAYLOAD', message: `Invalid ${task.id} payload: ${formatIssues(issues)}`, issues }, false);
  }

  if (task.flowSettings?.kind === 'gate' && !(await mayRun(deps.gates, task, job, parsed.data, envelope.meta.flowKey))) {
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
  const timeoutMs = envelope.meta.timeoutMs ?? task.defaults.timeoutMs;
  const timer = setTimeout(() => stop.abort('timeout'), timeoutMs);

  const info: JobInfo = {
    id: formatJobId(family.name, bullId),
    task: task.id,
    attempt: job.attemptsMade + 1,
    attempts: job.opts.attempts ?? 1,
    version: envelope.version,
    enqueuedAt: new Date(envelope.meta.enqueuedAt),
  };
  const ctx = new JobContext(deps.base, info, job, token, task, stop);

  let output: unknown;
  try {
    // A handler that ignores its signal is not waited for once the job is stopped.
    output = await stop.race(call(handler, parsed.data, ctx));
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
    if (reason === 'cancelled') throw failure({ code: 'CANCELLED', message: 'Cancelled while running' }, false);
    if (reason === 'timeout') throw failure({ code: 'TIMEOUT', message: `Timed out after ${timeoutMs} ms` }, true);
    throw fromHandlerError(error);
  } finally {
    clearTimeout(timer);
    deps.running.delete(bullId);
  }

  const checked = task.output.safeParse(output);
  if (!checked.success) {
    const issues = toIssues(checked.error.issues);
    throw failure({ code: 'INVALID_OUTPUT', message: `Invalid ${task.id} output: ${formatIssues(issues)}`, issues }, false);
  }
  try {
    return encodeValue(checked.data);
  } catch (error) {
    throw failure({ code: 'INVALID_OUTPUT', message: `${task.id} output cannot be stored: ${(error as Error).message}` }, false);
  }
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
