import type { ErrorInfo, TaskOutput } from '@taskwire/shared';
import { defineHandlers, type HandlerContext, type Settled } from '@taskwire/worker';
import { createTestHarness, type HarnessJob } from '@taskwire/worker/testing';
import { describe, expectTypeOf, it } from 'vitest';
import { child, type parent, sleeper, slow, steps, wf, wfRegistry } from '../fixtures/workflow.ts';

type ChildOut = { i: number; square: number; at: Date };

// Handlers are only type-checked here: nothing runs.
describe('workflow steps and children', () => {
  it('a step returns its function’s result type, awaited', () => {
    defineHandlers(wf, {
      steps: async (_input, ctx) => {
        const at = await ctx.step('load', async () => new Date());
        expectTypeOf(at).toEqualTypeOf<Date>();
        const rows = await ctx.step('rows', () => [{ id: 1n, tags: new Map<string, number>() }]);
        expectTypeOf(rows).toEqualTypeOf<{ id: bigint; tags: Map<string, number> }[]>();
        expectTypeOf(ctx.sleep('nap', 1_000)).toEqualTypeOf<Promise<void>>();
        expectTypeOf(ctx.sleepUntil).toBeCallableWith('nap', new Date());
        // @ts-expect-error: a sleep takes a name
        void ctx.sleep(1_000);
        return { values: [at], attempt: 1 };
      },
      child: async () => ({ i: 1, square: 1, at: new Date() }),
      sleeper: async () => ({ sleptMs: 0, attempt: 1 }),
      parent: async () => ({ squares: [], failed: [], at: new Date() }),
      slow: async () => ({ ok: true }),
      parallel: async () => ({ slow: 1 }),
    });
  });

  it('ctx.run returns the child’s output, typed from its contract; a wrong child input is a compile error', () => {
    const ctx = {} as HandlerContext<typeof parent>;
    expectTypeOf(ctx.run(child, { i: 2 })).toEqualTypeOf<Promise<ChildOut>>();
    expectTypeOf(ctx.run(sleeper, { ms: 5 }, { step: 'nap child' })).toEqualTypeOf<Promise<TaskOutput<typeof sleeper>>>();
    // @ts-expect-error: i is a number
    void ctx.run(child, { i: 'two' });
    // @ts-expect-error: 'j' is not a field of wf.child's input
    void ctx.run(child, { i: 2, j: 3 });
    // @ts-expect-error: the input is required
    void ctx.run(child);
  });

  it('ctx.runAll returns a tuple of each child’s output; settled mode a tuple of outcomes', () => {
    const ctx = {} as HandlerContext<typeof parent>;
    const both = ctx.runAll([
      { task: child, input: { i: 1 } },
      { task: slow, input: { ms: 1 } },
    ]);
    expectTypeOf(both).toEqualTypeOf<Promise<[ChildOut, { ok: boolean }]>>();
    const settled = ctx.runAll(
      [
        { task: child, input: { i: 1 } },
        { task: steps, input: { count: 2 } },
      ],
      { settled: true },
    );
    expectTypeOf(settled).toEqualTypeOf<Promise<[Settled<ChildOut>, Settled<TaskOutput<typeof steps>>]>>();
    expectTypeOf<Extract<Settled<ChildOut>, { status: 'rejected' }>['error']>().toEqualTypeOf<ErrorInfo>();
    // A fan-out over an array: an array of the child's output.
    const many = ctx.runAll(Array.from({ length: 10 }, (_, i) => ({ task: child, input: { i } })));
    expectTypeOf(many).toEqualTypeOf<Promise<ChildOut[]>>();
    void ctx.runAll([
      { task: child, input: { i: 1 } },
      // @ts-expect-error: the second child's input belongs to another task
      { task: slow, input: { i: 1 } },
    ]);
  });

  it('the harness types enqueue, job and result from the contract', () => {
    const harness = createTestHarness({ registry: wfRegistry, handlers: [] });
    const ref = harness.enqueue(child, { i: 1 });
    expectTypeOf(harness.result(ref)).toEqualTypeOf<ChildOut>();
    expectTypeOf(harness.job(ref)).toEqualTypeOf<HarnessJob<typeof child>>();
    expectTypeOf(harness.job(ref).result).toEqualTypeOf<ChildOut | null>();
    // @ts-expect-error: i is a number
    harness.enqueue(child, { i: 'one' });
    expectTypeOf(harness.now()).toEqualTypeOf<Date>();
  });
});
