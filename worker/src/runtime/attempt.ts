import {
  type AnyFamily,
  type AnyTask,
  decodeEnvelope,
  type EnvelopeMeta,
  type ErrorInfo,
  encodeValue,
  formatIssues,
  TaskwireError,
  taskOf,
  toIssues,
  upgradePayload,
} from '@taskwire/shared';
import type { FamilyHandlers, HandlerContext } from './handlers.ts';
import type { AbortReason } from './job-abort.ts';

/**
 * One attempt of a job, in steps shared by the worker and the test harness, so both fail a job
 * with the same codes: find the handler, read the stored input, run the handler, check its output.
 */

/** How an attempt failed: the error stored with the job, and whether a retry may help. */
export interface AttemptFailure {
  info: ErrorInfo;
  retryable: boolean;
}

export type RawHandler = (input: unknown, ctx: HandlerContext) => unknown;

const fail = (info: ErrorInfo, retryable = false): AttemptFailure => ({ info, retryable });

/** The task and handler a job's name names in the family (own properties only: `constructor` is no task). */
export function findHandler(handlers: FamilyHandlers, name: string): { task: AnyTask; handler: RawHandler } | AttemptFailure {
  const family: AnyFamily = handlers.family;
  const task: AnyTask | undefined = taskOf(family, name);
  const map = handlers.handlers as Record<string, RawHandler>;
  const handler = Object.hasOwn(map, name) ? map[name] : undefined;
  if (!task || !handler) return fail({ code: 'UNKNOWN_TASK', message: `Family '${family.name}' has no task '${name}'` });
  return { task, handler };
}

/** What a job's stored data says: its parsed input, a failure, or a version newer than the worker's. */
export type ReadInput =
  | { kind: 'input'; input: unknown; version: number; meta: EnvelopeMeta }
  | { kind: 'failed'; failure: AttemptFailure }
  | { kind: 'newer'; version: number; meta: EnvelopeMeta };

/**
 * Decodes a job's envelope, checks its expiry (unless `resumed`: a workflow that waited and goes
 * on), migrates an older version and parses the input with the contract. A job that cannot be
 * understood fails, unretried (a poison job).
 */
export function readInput(task: AnyTask, data: unknown, now: number, options: { resumed?: boolean } = {}): ReadInput {
  const envelope = decodeEnvelope(data);
  if (!envelope.ok) return { kind: 'failed', failure: fail({ code: 'INVALID_PAYLOAD', message: envelope.reason }) };
  const { expiresAt } = envelope.meta;
  // The expiry bounds a job's start: a workflow that slept or waited on its children goes on.
  if (expiresAt !== undefined && now >= expiresAt && !options.resumed) {
    // Never run: not this attempt, nor any retry.
    const message = `Not started before its expiry (${new Date(expiresAt).toISOString()})`;
    return { kind: 'failed', failure: fail({ code: 'EXPIRED', message }) };
  }
  const upgraded = upgradePayload(task, envelope.version, envelope.payload);
  if (upgraded.kind === 'newer') return { kind: 'newer', version: envelope.version, meta: envelope.meta };
  if (upgraded.kind === 'invalid') return { kind: 'failed', failure: fail(upgraded.info) };
  const parsed = task.input.safeParse(upgraded.payload);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues);
    return {
      kind: 'failed',
      failure: fail({ code: 'INVALID_PAYLOAD', message: `Invalid ${task.id} payload: ${formatIssues(issues)}`, issues }),
    };
  }
  return { kind: 'input', input: parsed.data, version: envelope.version, meta: envelope.meta };
}

/** The handler's result as a promise, a synchronous throw included. */
export function callHandler(handler: RawHandler, input: unknown, ctx: HandlerContext): Promise<unknown> {
  try {
    return Promise.resolve(handler(input, ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Why a handler run ended without a result: stopped (timeout, cancel) or the handler threw. */
export function failureOf(
  reason: Exclude<AbortReason, 'shutdown' | 'suspended'> | undefined,
  error: unknown,
  timeoutMs: number,
): AttemptFailure {
  if (reason === 'cancelled') return fail({ code: 'CANCELLED', message: 'Cancelled while running' });
  if (reason === 'timeout') return fail({ code: 'TIMEOUT', message: `Timed out after ${timeoutMs} ms` }, true);
  if (error instanceof TaskwireError) return fail(error.toInfo(), error.retryable);
  const message = error instanceof Error ? error.message : String(error);
  return fail({ code: 'HANDLER_ERROR', message }, true);
}

/** Parses the handler's output with the contract and encodes it for Redis. */
export function checkOutput(task: AnyTask, output: unknown): { ok: true; value: unknown } | { ok: false; failure: AttemptFailure } {
  const checked = task.output.safeParse(output);
  if (!checked.success) {
    const issues = toIssues(checked.error.issues);
    return { ok: false, failure: fail({ code: 'INVALID_OUTPUT', message: `Invalid ${task.id} output: ${formatIssues(issues)}`, issues }) };
  }
  try {
    return { ok: true, value: encodeValue(checked.data) };
  } catch (error) {
    return {
      ok: false,
      failure: fail({ code: 'INVALID_OUTPUT', message: `${task.id} output cannot be stored: ${(error as Error).message}` }),
    };
  }
}

/** Checks progress against the task's schema and encodes it (INVALID_PROGRESS, thrown to the handler). */
export function encodeProgress(task: AnyTask, progress: unknown): object {
  const checked = task.progress.safeParse(progress);
  if (!checked.success) {
    const issues = toIssues(checked.error.issues);
    throw new TaskwireError('INVALID_PROGRESS', `Invalid ${task.id} progress: ${formatIssues(issues)}`, { issues });
  }
  return encodeValue(checked.data) as object;
}

/** Whether a read failed only because the job expired (a resumed workflow may still go on). */
export function expiredOnly(read: ReadInput): boolean {
  return read.kind === 'failed' && read.failure.info.code === 'EXPIRED';
}
