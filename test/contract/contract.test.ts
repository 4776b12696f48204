/**
 * The contract suite, generated from the registry: every task is covered with no test code of its
 * own. For each task: generated valid inputs go client → router → Redis → worker → result and
 * arrive deep-equal; generated invalid inputs are rejected before Redis; every older version in the
 * lock migrates and parses; a newer version is put back, not failed; producer and worker agree.
 */
import { readFileSync } from 'node:fs';
import { type AnyTask, createKeys, encodeEnvelope, listTasks, TaskwireError } from '@taskwire/shared';
import { parseLock } from '@taskwire/shared/evolution';
import { createRedis } from '@taskwire/shared/node';
import { arbitraryFor, invalidValuesFor } from '@taskwire/shared/testing';
import { families } from '@taskwire-example/reference/contracts';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { familyHandlers } from '../../examples/reference/handlers/index.ts';
import { eventually, type Stack, snapshotKeys, startStack } from '../fixtures/harness.ts';
import { echoHarness, echoOutput } from './echo-harness.ts';

const VALID_PER_TASK = 100;
const registry = families;
const tasks = listTasks(registry);
const lock = parseLock(readFileSync('examples/reference/contracts.lock.json', 'utf8'));
const totals = { valid: 0, invalid: 0, oldVersions: 0 };

// biome-ignore lint/suspicious/noExplicitAny: the suite walks the client by task id
type Untyped = any;

let stack: Stack<typeof registry>;
let harness: ReturnType<typeof echoHarness>;
let queues: Map<string, Queue>;
let connection: ReturnType<typeof createRedis>;

beforeAll(async () => {
  harness = echoHarness(registry);
  stack = await startStack({ registry, handlers: harness.handlers });
  for (const worker of stack.workers) worker.worker.concurrency = 32;
  connection = createRedis(stack.redis, 'worker');
  queues = new Map(
    Object.keys(registry).map((family) => [
      family,
      new Queue(createKeys(stack.prefix).queueName(family), { connection, prefix: stack.prefix }),
    ]),
  );
});

afterAll(async () => {
  await Promise.all([...queues.values()].map((q) => q.close()));
  connection.disconnect();
  await stack[Symbol.asyncDispose]();
  console.log(
    `contract suite: ${tasks.length} tasks (${tasks.map((t) => `${t.id}@v${t.version}`).join(', ')}); ` +
      `${totals.valid} generated valid inputs round-tripped (${VALID_PER_TASK} per task), ${totals.invalid} generated invalid inputs rejected, ` +
      `${totals.oldVersions} older-version fixtures migrated`,
  );
});

const client = (task: AnyTask) => (stack.client as Untyped)[task.family][task.name];

async function settled(ids: string[], timeoutMs = 30_000) {
  return eventually(
    async () => {
      const views = await Promise.all(ids.map((id) => stack.client.jobs.get(id)));
      return views.every((v) => v.state === 'completed' || v.state === 'failed') ? views : undefined;
    },
    timeoutMs,
    100,
  );
}

describe.each(tasks.map((task) => [task.id, task] as const))('%s', (_id, task) => {
  it(`${VALID_PER_TASK} generated valid inputs arrive deep-equal in the handler and their results come back deep-equal`, async () => {
    const inputs = fc.sample(arbitraryFor(task.input), { numRuns: VALID_PER_TASK, seed: 42 });
    const refs: { id: string }[] = await client(task).enqueueMany(inputs.map((input) => ({ input })));
    const views = await settled(refs.map((r) => r.id));
    views.forEach((view, i) => {
      expect(view.state, JSON.stringify(view.error)).toBe('completed');
      expect(harness.received.get(view.id)).toEqual(inputs[i]);
      expect(view.input).toEqual(inputs[i]);
      expect(view.result).toEqual(echoOutput(task, inputs[i]));
    });
    totals.valid += inputs.length;
  });

  it('generated invalid inputs are rejected with INVALID_INPUT and nothing reaches Redis', async () => {
    const [sample] = fc.sample(arbitraryFor(task.input), { numRuns: 1, seed: 7 });
    const invalid = invalidValuesFor(task.input, sample);
    expect(invalid.length).toBeGreaterThanOrEqual(5);
    const before = await snapshotKeys(stack.redis, stack.prefix);
    for (const { label, value } of invalid) {
      const error = await client(task)
        .enqueue(value)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, label).toBeInstanceOf(TaskwireError);
      expect((error as TaskwireError).code, label).toBe('INVALID_INPUT');
    }
    expect(await snapshotKeys(stack.redis, stack.prefix)).toEqual(before);
    totals.invalid += invalid.length;
  });

  const locked = lock.tasks[task.id];
  const older = Object.keys(locked?.versions ?? {})
    .map(Number)
    .filter((v) => v < task.version);

  it('is in the lock at its current version', () => {
    expect(locked?.version).toBe(task.version);
  });

  if (older.length === 0) {
    it('has no older version in the lock, so nothing to migrate', () => {
      expect(Object.keys(task.migrations)).toEqual([]);
    });
  }
  it.each(older)('an envelope of locked version %s migrates and parses', async (version) => {
    const migration = task.migrations[version];
    expect(migration, `${task.id} needs migrations[${version}]`).toBeDefined();
    const olds = fc.sample(arbitraryFor(migration!.input), { numRuns: 10, seed: version });
    const queue = queues.get(task.family)!;
    const ids = await Promise.all(
      olds.map((old) =>
        queue.add(task.name, encodeEnvelope(version, old, { enqueuedAt: Date.now() })).then((job) => `${task.family}.${job.id}`),
      ),
    );
    const views = await settled(ids);
    views.forEach((view, i) => {
      expect(view.state, JSON.stringify(view.error)).toBe('completed');
      expect(harness.versions.get(view.id)).toBe(version);
      expect(harness.received.get(view.id)).toEqual(task.input.parse(migration!.migrate(olds[i])));
    });
    totals.oldVersions += olds.length;
  });

  it('an envelope of a newer version is put back for a newer worker, not failed', async () => {
    const [input] = fc.sample(arbitraryFor(task.input), { numRuns: 1, seed: 9 });
    const job = await queues.get(task.family)!.add(task.name, encodeEnvelope(task.version + 1, input, { enqueuedAt: Date.now() }));
    const id = `${task.family}.${job.id}`;
    const view = await eventually(async () => {
      const v = await stack.client.jobs.get(id);
      return v.deferrals > 0 && v.state === 'delayed' ? v : undefined;
    });
    expect(view.deferrals).toBe(1);
    expect(view.attemptsMade).toBe(0);
    expect(view.error).toBeNull();
    await stack.client.jobs.cancel(id);
  });
});

describe('producer and worker', () => {
  it('the router and the workers built from the registry expose exactly the same task ids and versions', () => {
    const procedures = Object.keys((stack.api.router as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures);
    const routed = procedures.filter((p) => p.endsWith('.enqueue')).map((p) => p.slice(0, -'.enqueue'.length));
    const worked = Object.values(familyHandlers).flatMap((h) => Object.values(h.family.tasks).map((t) => `${t.id}@v${t.version}`));
    const handled = Object.values(familyHandlers).flatMap((h) => Object.keys(h.handlers).map((name) => `${h.family.name}.${name}`));
    const contracts = tasks.map((t) => `${t.id}@v${t.version}`);
    expect(routed.sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(worked.sort()).toEqual(contracts.sort());
    expect(handled.sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(Object.keys(lock.tasks).sort()).toEqual(tasks.map((t) => t.id).sort());
  });
});
