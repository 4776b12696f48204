import { encodeEnvelope, encodeValue } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { dashboardData, dashboardName, dashboardResult, readable } from '../../router/src/runtime/dashboard-format.ts';
import { labRegistry } from '../fixtures/lab.ts';

describe('dashboard formatting', () => {
  it('shows a stored job as its contract reads it: typed input, contract version, metadata', () => {
    const at = new Date('2030-05-06T07:08:09.123Z');
    const envelope = encodeEnvelope(
      3,
      { at, tags: new Map([['a', 1]]), big: 2n ** 70n, set: new Set(['x']), note: 'n' },
      { enqueuedAt: 0, timeoutMs: 500 },
    );
    // As Bull Board gets it: the envelope after a JSON round trip through Redis.
    expect(dashboardData(JSON.parse(JSON.stringify(envelope)))).toEqual({
      input: { at: '2030-05-06T07:08:09.123Z', tags: { a: 1 }, big: `${2n ** 70n}n`, set: ['x'], note: 'n' },
      contractVersion: 3,
      enqueuedAt: '1970-01-01T00:00:00.000Z',
      timeoutMs: 500,
    });
  });

  it('shows data that is not an envelope as it is, saying so; results and progress decoded', () => {
    expect(dashboardData({ raw: true })).toMatchObject({
      data: { raw: true },
      notAnEnvelope: expect.stringContaining('not a taskwire envelope'),
    });
    const result = JSON.parse(JSON.stringify(encodeValue({ at: new Date(0), rows: 3n })));
    expect(dashboardResult(result)).toEqual({ at: '1970-01-01T00:00:00.000Z', rows: '3n' });
    expect(dashboardResult(null)).toBeNull();
    expect(dashboardResult(42)).toBe(42);
    expect(dashboardName(labRegistry.lab, { name: 'echo' })).toBe('lab.echo');
  });

  it('makes any decoded value readable JSON, and bounds nesting', () => {
    expect(readable(new Map<unknown, unknown>([[1, 'one']]))).toEqual([[1, 'one']]);
    expect(readable([Number.NaN, Number.POSITIVE_INFINITY, new Date(Number.NaN), undefined])).toEqual([
      'NaN',
      'Infinity',
      'Invalid Date',
      null,
    ]);
    expect(readable(new TypeError('bad'))).toBe('TypeError: bad');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { deep };
    expect(JSON.stringify(readable(deep))).toContain('"…"');
  });
});
