import { describe, expect, it } from 'vitest';
import { JobAbort } from '../../worker/src/runtime/job-abort.ts';

describe('JobAbort', () => {
  it('rejects `aborted` with the first reason, and a signal read before or after the abort carries it', async () => {
    const early = new JobAbort();
    const signal = early.signal;
    early.abort('cancelled');
    early.abort('timeout'); // the first reason stays
    await expect(early.aborted).rejects.toBe('cancelled');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('cancelled');

    const late = new JobAbort();
    late.abort('shutdown');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('shutdown');
    expect(late.reason).toBe('shutdown');
  });

  it('a job never stopped leaves `aborted` pending and its signal clear', async () => {
    const stop = new JobAbort();
    const outcome = await Promise.race([
      stop.aborted.then(
        () => 'settled',
        () => 'settled',
      ),
      new Promise((r) => setTimeout(() => r('pending'), 20)),
    ]);
    expect(outcome).toBe('pending');
    expect(stop.signal.aborted).toBe(false);
    expect(stop.reason).toBeUndefined();
  });
});
