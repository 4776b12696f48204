/**
 * Queued-job expiry (`ttlMs` / `expiresAt` per enqueue): a job not started by then fails with
 * EXPIRED, its handler never called, not retried; a job that starts in time runs as usual.
 */
import { defineFamily, defineRegistry, defineTask } from '@taskwire/shared';
import { defineHandlers } from '@taskwire/worker';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventually, startStack } from '../fixtures/harness.ts';
import { lab, labHandlers, labRegistry } from '../fixtures/lab.ts';
import { codeOf } from '../fixtures/outcomes.ts';

const input = (note: string) => ({ at: new Date('2030-01-01T00:00:00.000Z'), tags: new Map([['a', 1]]), big: 1n, note });

describe('queued-job expiry', () => {
  it('a job not started before its expiry fails with EXPIRED and never runs; one started in time runs', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    const tw = stack.client;
    const late = await tw.lab.echo.enqueue(input('late'), { ttlMs: 200, attempts: 3 });
    const lateAt = await tw.lab.echo.enqueue(input('late, by instant'), { expiresAt: new Date(Date.now() + 200) });
    const inTime = await tw.lab.echo.enqueue(input('in time'), { ttlMs: 60_000 });
    const plain = await tw.lab.echo.enqueue(input('no expiry'));
    await new Promise((r) => setTimeout(r, 400));

    const ran: string[] = [];
    const counted = defineHandlers(lab, {
      ...labHandlers.handlers,
      echo: (value, ctx) => {
        ran.push(value.note);
        return labHandlers.handlers.echo(value, ctx);
      },
    });
    await stack.startWorker(counted);
    for (const ref of [late, lateAt]) {
      const view = await eventually(async () => {
        const v = await tw.lab.echo.get(ref.id);
        return v.state === 'failed' ? v : undefined;
      });
      expect(view.error).toMatchObject({ code: 'EXPIRED', message: expect.stringContaining('Not started before its expiry') });
      // Not retried: one attempt spent, however many it had.
      expect(view.attemptsMade).toBe(1);
    }
    for (const ref of [inTime, plain]) {
      await eventually(async () => ((await tw.lab.echo.get(ref.id)).state === 'completed' ? true : undefined));
    }
    expect(ran.sort()).toEqual(['in time', 'no expiry']);
    // The dead letters show it with its code.
    const dead = await tw.deadLetter.list({ family: 'lab' });
    expect(
      dead
        .filter((job) => job.error?.code === 'EXPIRED')
        .map((job) => job.id)
        .sort(),
    ).toEqual([late.id, lateAt.id].sort());
  });

  it('refuses options that cannot work: both ttlMs and expiresAt, or an expiry before the job may run', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    const tw = stack.client;
    expect(await codeOf(tw.lab.echo.enqueue(input('x'), { ttlMs: 1_000, expiresAt: new Date(Date.now() + 1_000) }))).toBe('INVALID_INPUT');
    expect(
      await codeOf(tw.lab.echo.enqueue(input('x'), { runAt: new Date(Date.now() + 5_000), expiresAt: new Date(Date.now() + 1_000) })),
    ).toBe('INVALID_INPUT');
    expect(await codeOf(tw.lab.echo.enqueue(input('x'), { expiresAt: new Date(Date.now() - 1) }))).toBe('INVALID_INPUT');
    expect(await codeOf(tw.lab.echo.enqueue(input('x'), { delayMs: 1_000, ttlMs: 5_000 }))).toBe('OK');
    // A time to live counts from the end of the delay: shorter than the delay is fine.
    const delayed = await tw.lab.echo.enqueue(input('x'), { delayMs: 5_000, ttlMs: 1_000 });
    expect(await tw.jobs.list({ state: 'delayed' })).toHaveLength(2);
    const view = await tw.lab.echo.get(delayed.id);
    expect(view.runAt?.getTime()).toBeGreaterThan(delayed.enqueuedAt.getTime() + 4_900);
  });

  it('the contract’s defaults.ttlMs expires a job not started in time, counted from when it may run; an enqueue overrides it', async () => {
    const expiring = defineTask({
      id: 'lab.expiring',
      version: 1,
      input: z.object({ note: z.string() }),
      output: z.object({ note: z.string() }),
      defaults: { ttlMs: 300, attempts: 2 },
    });
    const family = defineFamily('lab', { expiring }, { concurrency: 4 });
    const registry = defineRegistry({ lab: family });
    await using stack = await startStack({ registry, token: 'tkn' });
    const tw = stack.client.lab.expiring;
    const late = await tw.enqueue({ note: 'late' });
    const afterDelay = await tw.enqueue({ note: 'delayed, in time' }, { delayMs: 600 });
    const longer = await tw.enqueue({ note: 'its own ttl' }, { ttlMs: 60_000 });
    await new Promise((r) => setTimeout(r, 700));
    const ran: string[] = [];
    await stack.startWorker(
      defineHandlers(family, {
        expiring: (value) => {
          ran.push(value.note);
          return value;
        },
      }),
    );
    await eventually(async () => ((await tw.get(longer.id)).state === 'completed' ? true : undefined));
    await eventually(async () => ((await tw.get(afterDelay.id)).state === 'completed' ? true : undefined));
    const expired = await eventually(async () => {
      const view = await tw.get(late.id);
      return view.state === 'failed' ? view : undefined;
    });
    expect(expired.error?.code).toBe('EXPIRED');
    expect(expired.attemptsMade).toBe(1);
    expect(ran.sort()).toEqual(['delayed, in time', 'its own ttl']);
  });
});
