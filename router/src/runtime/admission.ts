import { type AnyTask, enqueueOptionsSchema, type JobRef, type Registry, TaskwireError } from '@taskwire/shared';
import { tracingEnabled } from '@taskwire/shared/node';
import { z } from 'zod';
import { type Principal, requireScope, requireUnexpired } from './auth.ts';
import { type EnqueueItem, type EnqueueSettings, enqueueItems } from './enqueue.ts';
import type { QueueHub } from './hub.ts';
import { consumeEnqueueBudget } from './rate-limit.ts';
import { requireTaskEnqueue } from './scoped-tokens.ts';
import { traceEnqueue } from './tracing.ts';
import { invalidInput, type TaskwireContext, toTaskwireError } from './trpc.ts';

/**
 * The one entrance of enqueues. HTTP tRPC and a stock `wsLink` (through the `enqueue` and
 * `enqueueMany` procedures), the WebSocket fast path (ws-direct.ts) and REST (rest.ts) each turn
 * their request into a caller and a payload, call {@link admitEnqueue}, and write its answer back
 * in their own format. Nothing else reaches the write path (enqueue.ts), so a rule added to
 * admission holds on every transport.
 */

export interface AdmissionSettings extends EnqueueSettings {
  /** Most items one `enqueueMany` call may carry. */
  maxBatch: number;
}

/**
 * Turns a transport's payload into the call's value (`{ input, options? }`, or `{ items }` for
 * many): the router's transformer for WebSocket frames, JSON with the schema's conversions for
 * REST, tRPC's own input reader (a promise) for the procedures. A throw is the caller's mistake.
 */
export type Decode = (payload: unknown) => unknown;

/** One task's admission, built once: its schemas and settings. */
export class EnqueueAdmission {
  /** What one enqueue takes: `{ input, options? }`. */
  readonly item: z.ZodType<EnqueueItem>;
  /** What `enqueueMany` takes: `{ items }`, at most `maxBatch` of them. */
  readonly many: z.ZodType<{ items: EnqueueItem[] }>;

  constructor(
    readonly hub: QueueHub,
    readonly task: AnyTask,
    readonly settings: AdmissionSettings,
  ) {
    this.item = z.object({ input: task.input, options: enqueueOptionsSchema.optional() }) as z.ZodType<EnqueueItem>;
    this.many = z.object({ items: z.array(this.item).min(1).max(settings.maxBatch) });
  }
}

/**
 * The admission of every task of a registry, by task id: what each transport is given.
 *
 * @example
 * const admissions = enqueueAdmissions(families, hub, { ...DEFAULT_ENQUEUE_SETTINGS, maxBatch: 1_000 });
 * const refs = await admitEnqueue(admissions.get('email.send')!, ctx, payload, decode, false);
 */
export function enqueueAdmissions(registry: Registry, hub: QueueHub, settings: AdmissionSettings): ReadonlyMap<string, EnqueueAdmission> {
  const admissions = new Map<string, EnqueueAdmission>();
  for (const family of Object.values(registry)) {
    for (const task of Object.values(family.tasks)) admissions.set(task.id, new EnqueueAdmission(hub, task, settings));
  }
  return admissions;
}

/**
 * Whether a caller may create a schedule of a task (jobs added for as long as it lives): the
 * family's `enqueue` scope (a token scoped to one task may enqueue, not schedule), the scopes the
 * contract requires for each input (a task whose effect reaches other families), and the token's
 * rate budget. Enqueues are admitted by {@link admitEnqueue}, with the same checks.
 */
export async function admitJobs(hub: QueueHub, principal: Principal, task: AnyTask, inputs: readonly { input: unknown }[]): Promise<void> {
  requireScope(principal, `${task.family}:enqueue`);
  requireInputScopes(principal, task, inputs);
  if (principal.ratePerSecond !== undefined) await consumeEnqueueBudget(hub, principal, inputs.length);
}

function requireInputScopes(principal: Principal, task: AnyTask, items: readonly { input: unknown }[]): void {
  if (!task.requiredScopes) return;
  for (const item of items) for (const scope of task.requiredScopes(item.input)) requireScope(principal, scope);
}

/**
 * Admits one enqueue call (`many`: an `enqueueMany`) of a task and enqueues its jobs, in this
 * order: authenticate (the transport says who called, or why it could not tell), the family's
 * enqueue scope (nothing of the payload is decoded for a caller that may not enqueue there),
 * decode, validate against the task's schema, the scopes the inputs require, the rate budget, then
 * the write path (encode, size limit, idempotency claims, write) inside the enqueue span. Counts
 * the jobs enqueued, or the rejection by its code.
 *
 * Resolves to one JobRef per item (one for a single enqueue); rejects with the TaskwireError the
 * transport answers with.
 *
 * @example
 * const [ref] = await admitEnqueue(admission, ctx, frame.params.input, deserialize, false);
 */
export async function admitEnqueue(
  admission: EnqueueAdmission,
  ctx: TaskwireContext,
  payload: unknown,
  decode: Decode,
  many: boolean,
): Promise<JobRef[]> {
  const { hub, task, settings } = admission;
  try {
    const principal = ctx.principal;
    if (ctx.authError || !principal) throw ctx.authError ?? new TaskwireError('UNAUTHORIZED');
    requireUnexpired(principal);
    requireTaskEnqueue(principal, task.family, task.id);
    let value = decode(payload);
    if (value instanceof Promise) value = await value;
    let items: readonly EnqueueItem[];
    if (many) {
      const parsed = admission.many.safeParse(value);
      if (!parsed.success) throw invalidInput(parsed.error.issues, parsed.error);
      items = parsed.data.items;
    } else {
      const parsed = admission.item.safeParse(value);
      if (!parsed.success) throw invalidInput(parsed.error.issues, parsed.error);
      items = [parsed.data];
    }
    requireInputScopes(principal, task, items);
    if (principal.ratePerSecond !== undefined) await consumeEnqueueBudget(hub, principal, items.length);
    // A single enqueue is added on its own, not merged with the calls arriving with it into one
    // pipelined bulk (measured slower: a bulk is encoded whole before any of it is sent); the Redis
    // writes of one event-loop turn still leave together (see enqueue.ts).
    const refs = tracingEnabled('taskwire-router')
      ? await traceEnqueue(ctx.trace, task, items.length, (traceparent) => enqueueItems(hub, task, items, settings, traceparent))
      : await enqueueItems(hub, task, items, settings);
    if (ctx.observer) {
      let added = 0;
      for (const ref of refs) if (!ref.deduplicated) added += 1;
      ctx.observer.enqueued(task.id, added);
    }
    return refs;
  } catch (error) {
    const refusal = toTaskwireError(error);
    ctx.observer?.rejected(task.id, refusal.code);
    throw refusal;
  }
}
