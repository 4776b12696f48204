import {
  type AnyTask,
  defineFamily,
  defineRegistry,
  defineTask,
  type JobRef,
  type JobView,
  type TaskCallInput,
  type TaskInput,
  type TaskOutput,
  type TaskProgress,
  type WatchEvent,
} from '@taskwire/shared';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineHandlers, type EnqueuedTask } from '../../worker/src/index.ts';
import { type echo, flaky, lab, steps } from '../fixtures/lab.ts';

describe('contract inference helpers', () => {
  it('infers input, call input, output and progress', () => {
    expectTypeOf<TaskInput<typeof steps>>().toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf<TaskOutput<typeof steps>>().toEqualTypeOf<{ done: number }>();
    expectTypeOf<TaskProgress<typeof steps>>().toEqualTypeOf<{ step: number; of: number }>();
    expectTypeOf<TaskInput<typeof echo>['at']>().toEqualTypeOf<Date>();
    expectTypeOf<TaskInput<typeof echo>['tags']>().toEqualTypeOf<Map<string, number>>();
    expectTypeOf<TaskInput<typeof echo>['big']>().toEqualTypeOf<bigint>();
    expectTypeOf<TaskProgress<typeof echo>>().toBeNever();
    expectTypeOf(steps.id).toEqualTypeOf<'lab.steps'>();
    expectTypeOf<TaskInput<typeof steps>>().not.toBeAny();
  });

  it('lets defaulted fields be left out by callers but not by handlers', () => {
    const task = defineTask({
      id: 'x.y',
      version: 1,
      input: z.object({ n: z.number().default(1) }),
      output: z.object({}),
    });
    expectTypeOf<TaskCallInput<typeof task>>().toEqualTypeOf<{ n?: number | undefined }>();
    expectTypeOf<TaskInput<typeof task>>().toEqualTypeOf<{ n: number }>();
  });

  it('rejects a transforming schema at compile time', () => {
    defineTask({
      id: 'x.t',
      version: 1,
      // @ts-expect-error the input schema transforms its value
      input: z.string().transform((s) => s.length),
      output: z.object({}),
    });
    defineTask({
      id: 'x.u',
      version: 1,
      input: z.object({}),
      // @ts-expect-error the output schema transforms its value
      output: z.object({ at: z.string().transform((s) => new Date(s)) }),
    });
  });

  it('rejects a family whose keys do not match task ids, and reserved names', () => {
    // @ts-expect-error the task under key 'other' must have id 'lab.other'
    defineFamily('lab', { other: steps });
    // @ts-expect-error 'jobs' is reserved
    defineFamily('jobs', {});
    // @ts-expect-error registry key must equal the family's name
    defineRegistry({ notLab: lab });
  });

  it('types views, refs and watch events from the task', () => {
    expectTypeOf<JobView<typeof steps>['input']>().toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf<JobView<typeof steps>['result']>().toEqualTypeOf<{ done: number } | null>();
    expectTypeOf<JobRef<'lab.steps'>['task']>().toEqualTypeOf<'lab.steps'>();
    expectTypeOf<Extract<WatchEvent<typeof steps>, { type: 'completed' }>['result']>().toEqualTypeOf<{ done: number }>();
    expectTypeOf<Extract<WatchEvent<typeof steps>, { type: 'progress' }>['progress']>().toEqualTypeOf<{ step: number; of: number }>();
    expectTypeOf<JobView<AnyTask>>().not.toBeAny();
  });
});

describe('flow control in the contract', () => {
  it('types each key function from the task input (parsed: defaults applied), one knob per task', () => {
    const input = z.object({ orgId: z.string(), projectId: z.string(), region: z.enum(['eu', 'us']).default('eu') });
    const output = z.object({ ok: z.boolean() });
    const task = defineTask({
      id: 'search.reindex',
      version: 1,
      input,
      output,
      flow: {
        debounce: {
          key: (value) => {
            expectTypeOf(value).toEqualTypeOf<{ orgId: string; projectId: string; region: 'eu' | 'us' }>();
            return `${value.orgId}/${value.projectId}`;
          },
          delayMs: 5_000,
          maxDelayMs: 60_000,
        },
      },
    });
    expectTypeOf(task.flowSettings).toEqualTypeOf<import('@taskwire/shared').FlowSettings | undefined>();
    // @ts-expect-error a field the input does not have
    defineTask({ id: 'search.a', version: 1, input, output, flow: { unique: { key: (value) => value.tenant, ttlMs: 1_000 } } });
    // @ts-expect-error a key is a string
    defineTask({ id: 'search.b', version: 1, input, output, flow: { singleton: { key: (value) => value.region === 'eu' } } });
    // @ts-expect-error throttle needs its window
    defineTask({ id: 'search.c', version: 1, input, output, flow: { throttle: { key: (value) => value.orgId } } });
    const middle = { key: (value: { orgId: string }) => value.orgId, delayMs: 1, mode: 'middle' as const };
    // @ts-expect-error a mode that does not exist
    defineTask({ id: 'search.d', version: 1, input, output, flow: { debounce: middle } });
  });
});

describe('defineHandlers', () => {
  it('types handler input, context and return from the contract', () => {
    defineHandlers(lab, {
      echo: (input) => {
        expectTypeOf(input.at).toEqualTypeOf<Date>();
        return { ...input, seen: { dateIsDate: true, tagsIsMap: true, bigIsBigint: true, pid: 1 } };
      },
      steps: async (input, ctx) => {
        expectTypeOf(input).toEqualTypeOf<{ count: number; delayMs: number }>();
        expectTypeOf(ctx.progress).parameter(0).toEqualTypeOf<{ step: number; of: number }>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
        return { done: input.count };
      },
      flaky: () => ({ attempt: 1 }),
      sleepy: () => ({ sleptMs: 1 }),
      liar: () => ({ n: 1 }),
    });
  });

  it('does not compile with a missing, extra or misspelt handler, or a wrong result', () => {
    // @ts-expect-error missing handlers
    defineHandlers(lab, { echo: () => ({}) as never });
    defineHandlers(lab, {
      echo: () => ({}) as never,
      steps: () => ({ done: 1 }),
      flaky: () => ({ attempt: 1 }),
      sleepy: () => ({ sleptMs: 1 }),
      liar: () => ({ n: 1 }),
      // @ts-expect-error extra (misspelt) handler
      steeps: () => ({ done: 1 }),
    });
    defineHandlers(lab, {
      echo: () => ({}) as never,
      // @ts-expect-error wrong result type
      steps: () => ({ done: 'one' }),
      flaky: () => ({ attempt: 1 }),
      sleepy: () => ({ sleptMs: 1 }),
      liar: () => ({ n: 1 }),
    });
    defineHandlers(lab, {
      echo: () => ({}) as never,
      steps: async (_input, ctx) => {
        // @ts-expect-error progress of the wrong shape
        await ctx.progress({ pct: 5 });
        return { done: 1 };
      },
      flaky: () => ({ attempt: 1 }),
      sleepy: () => ({ sleptMs: 1 }),
      liar: () => ({ n: 1 }),
    });
  });

  it('types ctx.enqueue with the call input of the task it enqueues', () => {
    defineHandlers(lab, {
      echo: () => ({}) as never,
      steps: async (_input, ctx) => {
        // `permanent` has a default, so a caller may leave it out.
        const ref = await ctx.enqueue(flaky, { failTimes: 0, key: 'k' }, { key: 'once' });
        expectTypeOf(ref).toEqualTypeOf<EnqueuedTask>();
        expectTypeOf(ref).not.toBeAny();
        // @ts-expect-error the input of another task
        await ctx.enqueue(flaky, { count: 1, delayMs: 0 });
        return { done: 1 };
      },
      flaky: () => ({ attempt: 1 }),
      sleepy: () => ({ sleptMs: 1 }),
      liar: () => ({ n: 1 }),
    });
  });
});
