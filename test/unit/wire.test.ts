import { deserializeWire, serializeWire, serializeWireSized } from '@taskwire/shared';
import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';

const key = fc.oneof(
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('a.b', 'x\\y', '0', '', '__proto__', 'constructor', 'a\\.b'),
);
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  // Control characters and lone surrogates: the longest JSON escapes.
  fc.string({ maxLength: 8, unit: 'binary' }),
  fc.string({ maxLength: 4, unit: fc.constantFrom('\u0000', '\ud800', '"', '\\', '\u2028') }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date(),
  fc.date({ noInvalidDate: false }),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('map'), tie('set')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  map: fc
    .array(fc.tuple(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), tie('value')), { maxLength: 3 })
    .map((entries) => new Map(entries)),
  set: fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }).map((items) => new Set(items)),
}));

/** What a reader gets after the value crossed the wire as JSON text. */
const overTheWire = (wire: unknown) => JSON.parse(JSON.stringify(wire));

describe('serializeWire / deserializeWire', () => {
  it('write what superjson writes (bar referential equalities) and read back what superjson reads', () => {
    fc.assert(
      fc.property(value, (v) => {
        let expected: ReturnType<typeof superjson.serialize>;
        try {
          expected = superjson.serialize(v as never);
        } catch (error) {
          // superjson refuses some values (e.g. own `__proto__` keys): so must the fast path.
          expect(() => serializeWire(v)).toThrow((error as Error).message);
          return;
        }
        const fast = serializeWire(v);
        const { maxBytes } = serializeWireSized(v);
        expect(Buffer.byteLength(JSON.stringify(fast))).toBeLessThanOrEqual(maxBytes);
        const { referentialEqualities: _ignored, ...meta } = expected.meta ?? {};
        expect(fast.json).toEqual(expected.json);
        expect(fast.meta?.values).toEqual(Object.keys(meta).length ? meta.values : undefined);
        // Both readers agree on both writers' output.
        const reference = superjson.deserialize(overTheWire(expected));
        const received = overTheWire(fast);
        const untouched = structuredClone(received);
        expect(deserializeWire(received)).toEqual(reference);
        expect(received).toEqual(untouched); // not in place: the payload given is left as it was
        expect(deserializeWire(overTheWire(fast), { inPlace: true })).toEqual(reference);
        expect(deserializeWire(overTheWire(expected))).toEqual(reference);
        expect(superjson.deserialize(overTheWire(fast))).toEqual(reference);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never writes through a path that is not in the value, nor into a prototype', () => {
    for (const path of ['__proto__.polluted', 'a.__proto__.polluted', 'nope.x', 'a.missing']) {
      expect(() => deserializeWire({ json: { a: { x: '1' } }, meta: { values: { [path]: ['Date'] }, v: 1 } })).toThrow();
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes job-shaped data (and JobRefs) as superjson does, and prints the speed-up', () => {
    const items = Array.from({ length: 2_000 }, (_, n) => ({ input: { n, at: new Date(n), note: 'x', big: BigInt(n) } }));
    const time = (fn: () => unknown) => {
      const start = performance.now();
      for (let i = 0; i < 5; i += 1) fn();
      return performance.now() - start;
    };
    time(() => serializeWire(items));
    time(() => superjson.serialize(items));
    const ratio = time(() => superjson.serialize(items)) / time(() => serializeWire(items));
    console.log(`serialize, 2,000 items: superjson ÷ fast = ${ratio.toFixed(1)}×`);
    const { referentialEqualities: _, ...meta } = superjson.serialize(items).meta ?? {};
    expect(serializeWire(items)).toEqual({ json: superjson.serialize(items).json, meta });
    const refs = Array.from({ length: 3 }, (_, i) => ({
      id: `email.${i}`,
      task: 'email.send',
      enqueuedAt: new Date(i),
      deduplicated: false,
    }));
    expect(serializeWire(refs)).toEqual(superjson.serialize(refs));
  });
});

describe('@taskwire/shared/wire for browsers', () => {
  it('exports what the main entry exports, and its codec (superjson itself) and the fast one read each other', async () => {
    const main = await import('../../shared/src/wire/index.ts');
    const browser = await import('../../shared/src/wire/browser.ts');
    expect(Object.keys(browser).sort()).toEqual(Object.keys(main).sort());
    fc.assert(
      fc.property(value, (v) => {
        let written: ReturnType<typeof superjson.serialize>;
        try {
          written = browser.serializeWire(v);
        } catch (error) {
          expect(() => main.serializeWire(v)).toThrow((error as Error).message);
          return;
        }
        const reference = superjson.deserialize(overTheWire(written));
        expect(main.deserializeWire(overTheWire(written))).toEqual(reference);
        expect(browser.deserializeWire(overTheWire(main.serializeWire(v)), { inPlace: true })).toEqual(reference);
        expect(browser.serializeWireSized(v).maxBytes).toBe(Number.POSITIVE_INFINITY);
      }),
      { numRuns: 300 },
    );
  });
});
