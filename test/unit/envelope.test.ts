import { decodeEnvelope, encodeEnvelope } from '@taskwire/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const valid = () =>
  JSON.parse(JSON.stringify(encodeEnvelope(2, { n: 1, at: new Date(0) }, { enqueuedAt: 5, timeoutMs: 100, traceparent: 't' })));

describe('decodeEnvelope', () => {
  it('reads what encodeEnvelope wrote, keeping only the known meta fields', () => {
    const data = valid();
    data.meta.extra = 'dropped';
    const decoded = decodeEnvelope(data);
    expect(decoded).toEqual({
      ok: true,
      version: 2,
      payload: { n: 1, at: new Date(0) },
      meta: { enqueuedAt: 5, timeoutMs: 100, traceparent: 't' },
    });
  });

  it('never throws, and accepts a field only with the type the schema gives it', () => {
    const fields = ['v', 'p', 'meta.enqueuedAt', 'meta.timeoutMs', 'meta.traceparent', 'meta.deferrals'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.anything({ withBigInt: true, withDate: true, withMap: true }), (field, value) => {
        const data = valid();
        const [head, tail] = field.split('.') as [string, string | undefined];
        if (tail) data[head][tail] = value;
        else data[head] = value;
        const decoded = decodeEnvelope(data);
        if (!decoded.ok) return;
        const ok = {
          v: Number.isSafeInteger(value) && (value as number) > 0,
          p: value !== null && typeof value === 'object' && !Array.isArray(value),
          'meta.enqueuedAt': typeof value === 'number' && Number.isFinite(value),
          'meta.timeoutMs': value === undefined || (Number.isSafeInteger(value) && (value as number) > 0),
          'meta.traceparent': value === undefined || typeof value === 'string',
          'meta.deferrals': value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0),
        }[field];
        // fc.stringify, not String: fast-check generates objects such as `{ toString: 0n }`.
        expect(ok, `${field} = ${fc.stringify(value)} was accepted`).toBe(true);
      }),
      { numRuns: 3_000 },
    );
    for (const garbage of [null, 42, 'x', [], {}, { v: 1 }, { v: 1, p: {}, meta: {} }]) expect(decodeEnvelope(garbage).ok).toBe(false);
  });
});
