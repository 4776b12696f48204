import { safeDeserialize } from '@taskwire/shared';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';

const roundTrip = (value: unknown) => safeDeserialize(JSON.parse(JSON.stringify(superjson.serialize(value as never))));

describe('safeDeserialize', () => {
  it('reads values with equal bigints or one object used twice (superjson marks them as referential equalities)', () => {
    const shared = { at: new Date('2030-01-01T00:00:00Z') };
    const value = {
      items: [
        { n: 7n, s: shared },
        { n: 7n, s: shared },
      ],
    };
    expect(superjson.serialize(value).meta?.referentialEqualities).toBeDefined();
    expect(roundTrip(value)).toEqual(value);
    const back = roundTrip(value) as typeof value;
    expect(typeof back.items[1]?.n).toBe('bigint');
    expect(back.items[1]?.s.at).toBeInstanceOf(Date);
  });

  it('never applies equalities: a path into a prototype writes nothing', () => {
    const out = safeDeserialize({
      json: { a: { x: 1 }, b: {} },
      meta: { referentialEqualities: { a: ['__proto__.polluted', 'constructor.prototype.polluted', 'b'] } },
    }) as Record<string, unknown>;
    expect(out).toEqual({ a: { x: 1 }, b: {} });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['an array', ['a']],
    ['a string list value', { a: 'b' }],
    ['a non-string path', { a: [1] }],
  ])('refuses equalities of a bad shape (%s) with INVALID_INPUT', (_, equalities) => {
    expect(() => safeDeserialize({ json: { a: 1 }, meta: { referentialEqualities: equalities } })).toThrow(/Malformed superjson/);
  });

  it('reads an absent input (a call without one) as undefined', () => {
    expect(safeDeserialize(undefined)).toBeUndefined();
  });
});
