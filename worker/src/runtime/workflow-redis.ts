import { JOB_FIELDS, type Keys } from '@taskwire/shared';
import { pipelineReplies, type RedisConnection } from '@taskwire/shared/node';
import type { Job, Queue } from 'bullmq';
import { type ChildJob, type ChildOutcome, type ChildRef, failedChild, type WorkflowPort } from './workflow.ts';

const STEP_FIELD = JOB_FIELDS.stepPrefix;

/**
 * Writes a field of a job's hash only while the job exists and, with a token, while this run
 * holds its lock (a removed job must not come back as a stray hash; a run whose lock another
 * worker took must leave the job to it). Without `replace` the first value stays. Answers the
 * value kept, or false when nothing was written.
 */
const WRITE_FIELD = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return false end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])`;

/** Children are added this many at a time (one MULTI each), so a large fan-out does not hold Redis. */
const ADD_CHUNK = 500;

/**
 * A job's workflow in Redis: steps are fields of the job's own hash (so they go with the job and
 * stay across retries), children are BullMQ children of the job (`parent` option), waited for
 * with `moveToWaitingChildren`, and a sleep is `moveToDelayed`. The job's lock token makes the
 * moves; a worker that lost the lock cannot move the job.
 */
export class RedisWorkflowPort implements WorkflowPort {
  readonly parent: WorkflowPort['parent'];
  private readonly jobKey: string;
  private readonly parts: ReturnType<Keys['jobParts']>;
  private stored: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly job: Job,
    private readonly token: string | undefined,
    family: string,
    private readonly keys: Keys,
    private readonly redis: RedisConnection,
    private readonly queue: (family: string) => Queue,
  ) {
    const bullId = job.id as string;
    this.parent = { family, bullId, queue: `${keys.prefix}:${keys.queueName(family)}`, incarnation: String(job.timestamp) };
    this.jobKey = keys.jobHash(family, bullId);
    this.parts = keys.jobParts(family, bullId);
  }

  now(): number {
    return Date.now();
  }

  async readStep(name: string): Promise<string | undefined> {
    this.stored ??= this.readSteps();
    return (await this.stored).get(name);
  }

  /** Every step stored with the job, read once per run (a job resumed after n steps reads them in one go). */
  private async readSteps(): Promise<Map<string, string>> {
    const steps = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.jobKey, cursor, 'MATCH', `${STEP_FIELD}*`, 'COUNT', 1_000);
      for (let i = 0; i + 1 < flat.length; i += 2) steps.set((flat[i] as string).slice(STEP_FIELD.length), flat[i + 1] as string);
      cursor = next;
    } while (cursor !== '0');
    return steps;
  }

  async writeStep(name: string, record: string, options: { replace?: boolean } = {}): Promise<string | undefined> {
    const kept = await this.writeField(STEP_FIELD + name, record, options.replace ?? false);
    if (kept !== undefined) (await this.stored)?.set(name, kept);
    return kept;
  }

  private async writeField(field: string, value: string, replace: boolean): Promise<string | undefined> {
    const kept = await this.redis.eval(WRITE_FIELD, 2, this.jobKey, this.parts.lock, field, value, this.token ?? '', replace ? '1' : '0');
    return typeof kept === 'string' ? kept : undefined;
  }

  async childOutcomes(children: readonly ChildRef[]): Promise<(ChildOutcome | 'pending' | undefined)[]> {
    if (children.length === 0) return [];
    const childKeys = children.map((c) => this.keys.jobHash(c.task.family, c.bullId));
    // BullMQ keeps a parent's children in its own keys: pending ones in a set, finished ones in
    // two hashes (results, and failures ignored with ignoreDependencyOnFailure). One round trip.
    const [processed, failed, pending] = (await pipelineReplies(
      this.redis
        .pipeline()
        .hmget(this.parts.processed, ...childKeys)
        .hmget(this.parts.failed, ...childKeys)
        .smismember(this.parts.dependencies, ...childKeys),
    )) as [(string | null)[], (string | null)[], number[]];
    return childKeys.map((_, i) => {
      const value = processed[i];
      if (value !== null && value !== undefined) return { ok: true, value: JSON.parse(value) as unknown };
      const reason = failed[i];
      if (reason !== null && reason !== undefined) return failedChild(reason);
      return pending[i] === 1 ? 'pending' : undefined;
    });
  }

  async addChildren(children: readonly ChildJob[]): Promise<void> {
    const byFamily = new Map<string, ChildJob[]>();
    for (const c of children) {
      const list = byFamily.get(c.task.family) ?? [];
      list.push(c);
      byFamily.set(c.task.family, list);
    }
    for (const [family, list] of byFamily) {
      for (let i = 0; i < list.length; i += ADD_CHUNK) {
        const chunk = list.slice(i, i + ADD_CHUNK).map((c) => ({ name: c.task.name, data: c.data, opts: c.opts }));
        await this.queue(family).addBulk(chunk);
      }
    }
  }

  async waitForChildren(): Promise<boolean> {
    await this.markResumable();
    return this.job.moveToWaitingChildren(this.token ?? '');
  }

  async sleepUntil(at: number): Promise<void> {
    await this.markResumable();
    await this.job.moveToDelayed(at, this.token);
  }

  /** A job that waited runs on past its expiry (which bounds its start only). */
  private async markResumable(): Promise<void> {
    await this.writeField(JOB_FIELDS.resumable, '1', true);
  }

  mayParent(family: string): boolean {
    // BullMQ links a child to its parent in one script: on a cluster, both must live in one slot.
    return family === this.parent.family || !('isCluster' in this.redis && this.redis.isCluster);
  }
}
