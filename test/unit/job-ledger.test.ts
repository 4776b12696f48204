import { describe, expect, it } from 'vitest';
import { JobLedger } from '../../worker/src/runtime/job-ledger.ts';

describe('JobLedger', () => {
  it('counts nothing while the worker runs: a job released unsettled was taken from it (lock lost)', () => {
    const ledger = new JobLedger();
    ledger.take('1');
    ledger.take('2');
    ledger.settle('1');
    ledger.release('1');
    ledger.release('2');
    let drained = 0;
    ledger.close(() => drained++);
    expect(drained).toBe(1);
    expect(ledger.unreturned()).toEqual([]);
  });

  it('while closing, names the jobs released unsettled and those still held unsettled', () => {
    const ledger = new JobLedger();
    for (const id of ['1', '2', '3', '4']) ledger.take(id);
    let drained = 0;
    ledger.close(() => drained++);
    expect(drained).toBe(0);
    ledger.settle('1'); // completed
    ledger.release('1');
    ledger.release('2'); // its completion could not be written
    ledger.settle('3'); // moved back to wait, BullMQ not done with it yet
    expect(ledger.unreturned()).toEqual(['2', '4']);
    ledger.release('3');
    ledger.release('4');
    expect(drained).toBe(1);
    expect(ledger.size).toBe(0);
    expect(ledger.unreturned()).toEqual(['2', '4']);
  });

  it('calls onDrained again when a job taken after the first drain is released', () => {
    const ledger = new JobLedger();
    let drained = 0;
    ledger.close(() => drained++);
    ledger.take('7');
    expect(ledger.size).toBe(1);
    ledger.settle('7');
    ledger.release('7');
    expect(drained).toBe(2);
    expect(ledger.unreturned()).toEqual([]);
  });

  it('ignores a settle for a job it does not hold (a stalled job failed for another worker)', () => {
    const ledger = new JobLedger();
    ledger.settle('9');
    ledger.close(() => {});
    expect(ledger.unreturned()).toEqual([]);
  });
});
