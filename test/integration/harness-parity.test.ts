/**
 * The test harness behaves as a worker does: one table of scenarios runs on a real worker
 * (Redis, API, typed client) and in `createTestHarness` (memory, virtual clock), and both must
 * give the same outcomes: state, result, error code, attempts, and how often each side effect ran.
 */
import { type AnyTask, encodeEnvelope, TaskwireError } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { createTestHarness } from '@taskwire/worker/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Stack, startStack } from '../fixtures/harness.ts';
import { child, memoryRecorder, parallel, parent, sleeper, slow, steps, wfRegistry, workflowHandlers } from '../fixtures/workflow.ts';

interface Outcome {
  state: string;
  result: unknown;
  code: string | null;
  attemptsMade: number;
  effects: Record<string, number>;
}

/** What a scenario can do to a job, on either side. */
interface Driver {
  enqueue(task: AnyTask, input: unknown, options?: { ttlMs?: number }): Promise<string>;
  /** Stores data that bypasses the API's checks (a poison job). */
  enqueueRaw(task: AnyTask, data: unknown): Promise<string>;
  /** Waits for the job's end: its state, result, error code and attempts. */
  settle(id: string): Promise<Omit<Outcome, 'effects'>>;
  /** Returns once the parent waits on its children. */
  untilWaitingOnChildren(id: string): Promise<void>;
  cancel(id: string): Promise<string>;
  /** Its state now, or the error code of reading it (`NOT_FOUND` once removed). */
  stateOf(id: string): Promise<string>;
  completedCount(): Promise<number>;
}

type Scenario = { name: string; run(driver: Driver): Promise<Omit<Outcome, 'effects'>> };

const at = (i: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, i));

/** Fields that depend on the wall clock are left out of the comparison. */
function comparable(result: unknown): unknown {
  if (result === null || typeof result !== 'object') return result;
  const { sleptMs: _s, at: _a, ...rest } = result as Record<string, unknown>;
  return 'sleptMs' in result || ('squares' in result && 'at' in result) ? rest : result;
}

const scenarios: Scenario[] = [
  { name: 'success', run: async (d) => d.settle(await d.enqueue(child, { i: 3 })) },
  { name: 'retry, then success', run: async (d) => d.settle(await d.enqueue(child, { i: 4, fail: 'once' })) },
  {
    name: 'invalid payload',
    run: async (d) => d.settle(await d.enqueueRaw(child, encodeEnvelope(1, { i: 'three' }, { enqueuedAt: Date.now() }))),
  },
  { name: 'timeout', run: async (d) => d.settle(await d.enqueue(slow, { ms: 60_000 })) },
  { name: 'steps across a retry', run: async (d) => d.settle(await d.enqueue(steps, { count: 5, failOnFirstAttempt: 3 })) },
  { name: 'sleep', run: async (d) => d.settle(await d.enqueue(sleeper, { ms: 300 })) },
  // The expiry bounds the start: a job that started in time sleeps past it and goes on.
  { name: 'sleep past its expiry', run: async (d) => d.settle(await d.enqueue(sleeper, { ms: 600 }, { ttlMs: 300 })) },
  { name: 'a step in flight when a sleep suspends', run: async (d) => d.settle(await d.enqueue(parallel, { sleepMs: 100, stepMs: 300 })) },
  { name: 'children', run: async (d) => d.settle(await d.enqueue(parent, { count: 5 })) },
  { name: 'child failure', run: async (d) => d.settle(await d.enqueue(parent, { count: 3, failIndex: 1 })) },
  { name: 'child failure, handled', run: async (d) => d.settle(await d.enqueue(parent, { count: 3, failIndex: 2, settled: true })) },
  {
    name: 'cancel a parent waiting on its children',
    run: async (d) => {
      const id = await d.enqueue(parent, { count: 3, childHoldMs: 300 });
      await d.untilWaitingOnChildren(id);
      const outcome = await d.cancel(id);
      return { state: `${outcome}, then ${await d.stateOf(id)}`, result: await d.completedCount(), code: null, attemptsMade: 0 };
    },
  },
];

const expected: Record<string, Omit<Outcome, 'effects'> & { effects: Record<string, number> }> = {
  success: { state: 'completed', result: { i: 3, square: 9, at: at(3) }, code: null, attemptsMade: 1, effects: { 'child:3': 1 } },
  'retry, then success': {
    state: 'completed',
    result: { i: 4, square: 16, at: at(4) },
    code: null,
    attemptsMade: 2,
    effects: { 'child:4': 2 },
  },
  'invalid payload': { state: 'failed', result: null, code: 'INVALID_PAYLOAD', attemptsMade: 1, effects: {} },
  timeout: { state: 'failed', result: null, code: 'TIMEOUT', attemptsMade: 1, effects: {} },
  'steps across a retry': {
    state: 'completed',
    result: { values: [1, 2, 3, 4, 5].map(at), attempt: 2 },
    code: null,
    attemptsMade: 2,
    effects: { 'step:1': 1, 'step:2': 1, 'step:3': 1, 'step:4': 1, 'step:5': 1 },
  },
  sleep: { state: 'completed', result: { attempt: 1 }, code: null, attemptsMade: 1, effects: { before: 1, after: 1 } },
  'sleep past its expiry': { state: 'completed', result: { attempt: 1 }, code: null, attemptsMade: 1, effects: { before: 1, after: 1 } },
  'a step in flight when a sleep suspends': {
    state: 'completed',
    result: { slow: 7 },
    code: null,
    attemptsMade: 1,
    effects: { slow: 1, after: 1 },
  },
  children: {
    state: 'completed',
    result: { squares: [0, 1, 4, 9, 16], failed: [] },
    code: null,
    attemptsMade: 1,
    effects: { prepare: 1, finish: 1, 'child:0': 1, 'child:1': 1, 'child:2': 1, 'child:3': 1, 'child:4': 1 },
  },
  'child failure': {
    state: 'failed',
    result: null,
    code: 'HANDLER_ERROR',
    attemptsMade: 1,
    effects: { prepare: 1, 'child:0': 1, 'child:1': 2, 'child:2': 1 },
  },
  'child failure, handled': {
    state: 'completed',
    result: { squares: [0, 1], failed: ['HANDLER_ERROR'] },
    code: null,
    attemptsMade: 1,
    effects: { prepare: 1, finish: 1, 'child:0': 1, 'child:1': 1, 'child:2': 2 },
  },
  'cancel a parent waiting on its children': {
    state: 'removed, then NOT_FOUND',
    result: 0,
    code: null,
    attemptsMade: 0,
    effects: { prepare: 1 },
  },
};

async function runTable(
  driverFor: () => Driver,
  counts: Map<string, number>,
  settleAll: () => Promise<void>,
): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  for (const scenario of scenarios) {
    counts.clear();
    const outcome = await scenario.run(driverFor());
    await settleAll();
    outcomes[scenario.name] = { ...outcome, result: comparable(outcome.result), effects: Object.fromEntries(counts) };
  }
  return outcomes;
}

const codeOf = (error: unknown) => (error instanceof TaskwireError ? error.code : String(error));

describe('the test harness and a real worker give the same outcomes', () => {
  let stack: Stack<typeof wfRegistry>;
  let real: Record<string, Outcome>;
  let harnessed: Record<string, Outcome>;
  let harnessCpuMs = 0;

  beforeAll(async () => {
    const realRecorder = memoryRecorder();
    stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    await stack.startWorker(workflowHandlers(realRecorder.record), { concurrency: 1 });
    const tw = stack.client;
    const connection = createRedis(stack.redis, 'worker', 'parity-raw');
    const queue = new Queue('{wf}', { connection, prefix: stack.prefix });
    const view = (id: string) => tw.jobs.get(id);
    const realDriver: Driver = {
      enqueue: async (task, input, options) =>
        (
          await (tw.wf as unknown as Record<string, { enqueue(i: unknown, o?: object): Promise<{ id: string }> }>)[task.name]?.enqueue(
            input,
            options,
          )
        )?.id as string,
      enqueueRaw: async (task, data) => `wf.${(await queue.add(task.name, data, { attempts: task.defaults.attempts })).id}`,
      settle: async (id) => {
        const v = await eventually(async () => {
          const current = await view(id);
          return current.state === 'completed' || current.state === 'failed' ? current : undefined;
        }, 20_000);
        return {
          state: v.state,
          result: v.result,
          code: v.state === 'failed' ? (v.error?.code ?? null) : null,
          attemptsMade: v.attemptsMade,
        };
      },
      untilWaitingOnChildren: async (id) => {
        await eventually(async () => {
          const active = await tw.jobs.list({ family: 'wf', state: 'active' });
          return active.length > 0 && active.every((job) => job.id !== id) ? true : undefined;
        });
      },
      cancel: async (id) => (await tw.jobs.cancel(id)).outcome,
      stateOf: (id) => view(id).then((v) => v.state, codeOf),
      completedCount: async () => (await tw.jobs.list({ family: 'wf', state: 'completed' })).length,
    };
    // Nothing of a scenario may still run when the next one starts.
    const drained = async () => {
      await eventually(async () => {
        const busy = await Promise.all((['waiting', 'active', 'delayed'] as const).map((state) => tw.jobs.list({ family: 'wf', state })));
        return busy.every((jobs) => jobs.length === 0) ? true : undefined;
      }, 20_000);
      await queue.obliterate({ force: true });
    };
    try {
      real = await runTable(() => realDriver, realRecorder.counts, drained);
    } finally {
      await queue.close();
      connection.disconnect();
    }

    const cpuBefore = process.cpuUsage();
    const harnessRecorder = memoryRecorder();
    // A harness per scenario, as the real side starts each one on an empty queue.
    const harnessDriver = (): Driver => {
      const harness = createTestHarness({
        registry: wfRegistry,
        handlers: [workflowHandlers(harnessRecorder.record)],
        blockedAfterMs: 1_000,
      });
      return {
        enqueue: async (task, input, options) => harness.enqueue(task as typeof child, input as never, options).id,
        enqueueRaw: async (task, data) => harness.enqueueRaw(task as typeof child, data).id,
        settle: async (id) => {
          await harness.runUntilIdle();
          const v = harness.job(id);
          return {
            state: v.state,
            result: v.result,
            code: v.state === 'failed' ? (v.error?.code ?? null) : null,
            attemptsMade: v.attemptsMade,
          };
        },
        untilWaitingOnChildren: async () => {
          await harness.runNext();
        },
        cancel: async (id) => harness.cancel(id),
        stateOf: async (id) => {
          try {
            return harness.job(id).state;
          } catch (error) {
            return codeOf(error);
          }
        },
        completedCount: async () => {
          await harness.runUntilIdle();
          return harness.jobs().filter((j) => j.state === 'completed').length;
        },
      };
    };
    harnessed = await runTable(harnessDriver, harnessRecorder.counts, async () => {});
    const cpu = process.cpuUsage(cpuBefore);
    harnessCpuMs = (cpu.user + cpu.system) / 1_000;
    console.info(`harness: ${scenarios.length} scenarios in ${harnessCpuMs.toFixed(0)} ms of CPU`);
  }, 120_000);

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  for (const scenario of scenarios) {
    it(`${scenario.name}: same outcome on Redis and in the harness`, () => {
      const want = { ...expected[scenario.name], result: comparable(expected[scenario.name]?.result) };
      expect(real[scenario.name]).toEqual(want);
      expect(harnessed[scenario.name]).toEqual(want);
    });
  }

  it('the harness ran the whole table (its CPU time is reported)', () => {
    expect(Object.keys(harnessed)).toHaveLength(scenarios.length);
    expect(harnessCpuMs).toBeGreaterThan(0);
  });
});
