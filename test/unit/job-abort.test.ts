import { describe, expect, it } from 'vitest';
import { JobAbort } from '../../worker/src/runtime/job-abort.ts';

const never = new Promise<string>(() => {});

describe('JobAbort', () => {
  it('rejects a run in progress with the first reason, and a signal read before or after the abort carries it', async () => {
    const early = new JobAbort();
    const signal = early.signal;
    const run = early.race(never);
    early.abort('cancelled');
    early.abort('timeout'); // the first reason stays
    await expect(run).rejects.toBe('cancelled');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('cancelled');

    const late = new JobAbort();
    late.abort('shutdown');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('shutdown');
    expect(late.reason).toBe('shutdown');
    // A run raced after the stop is rejected at once.
    await expect(late.race(Promise.resolve('done'))).rejects.toBe('shutdown');
  });

  it('a job never stopped settles as its run does, and its signal stays clear', async () => {
    const stop = new JobAbort();
    await expect(stop.race(Promise.resolve('done'))).resolves.toBe('done');
    await expect(stop.race(Promise.reject(new Error('handler failed')))).rejects.toThrow('handler failed');
    const pending = await Promise.race([stop.race(never), new Promise((r) => setTimeout(() => r('pending'), 20))]);
    expect(pending).toBe('pending');
    expect(stop.signal.aborted).toBe(false);
    expect(stop.reason).toBeUndefined();
  });
});
