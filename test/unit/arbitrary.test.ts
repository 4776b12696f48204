import type { AnyTask } from '@taskwire/shared';
import { arbitraryFor, inputArbitraryFor, invalidValuesFor } from '@taskwire/shared/testing';
import { families, generateReport, licenseExpiry, sendEmail } from '@taskwire-example/reference/contracts';
import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { echo, labRegistry } from '../fixtures/lab.ts';

const tasks: AnyTask[] = [...Object.values(families), ...Object.values(labRegistry)].flatMap((family) => Object.values(family.tasks));
const RUNS = 200;
const sampleOf = <T>(arb: fc.Arbitrary<T>, numRuns = 500): T[] => fc.sample(arb, { numRuns, seed: 20_240_601 });

/** Every generated value is accepted, crosses superjson unchanged and stays small enough for Redis. */
function assertValidValues(schema: z.ZodType): void {
  fc.assert(
    fc.property(arbitraryFor(schema), (value) => {
      expect(schema.safeParse(value).success).toBe(true);
      const wire = superjson.stringify(value);
      expect(superjson.parse(wire)).toEqual(value);
      expect(wire.length).toBeLessThan(10_000);
    }),
    { numRuns: RUNS },
  );
}

describe.each(tasks.map((task) => [task.id, task] as const))('%s', (_id, task) => {
  it(`${RUNS} generated inputs parse and survive a superjson round trip`, () => assertValidValues(task.input));

  it(`${RUNS} generated outputs parse and survive a superjson round trip`, () => assertValidValues(task.output));

  if (task.progress._zod.def.type === 'never') {
    it('declares no progress, and no progress value can be generated', () => {
      expect(() => arbitraryFor(task.progress)).toThrow(/never/);
    });
  } else {
    it(`${RUNS} generated progress values parse`, () => assertValidValues(task.progress));
  }

  it('yields at least 5 invalid inputs, every one rejected, from an output-shaped and an input-shaped sample', () => {
    for (const sample of [sampleOf(arbitraryFor(task.input), 1)[0], sampleOf(inputArbitraryFor(task.input), 1)[0]]) {
      const invalid = invalidValuesFor(task.input, sample);
      expect(invalid.length).toBeGreaterThanOrEqual(5);
      expect(new Set(invalid.map((i) => i.label)).size).toBe(invalid.length);
      for (const { label, value } of invalid) expect(task.input.safeParse(value).success, label).toBe(false);
    }
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('arbitraryFor edge kinds', () => {
  it('generates bigints beyond ±2^64 and respects bigint bounds', () => {
    const values = sampleOf(arbitraryFor(z.bigint()));
    expect(values.some((v) => v > 2n ** 64n)).toBe(true);
    expect(values.some((v) => v < -(2n ** 64n))).toBe(true);
    expect(sampleOf(arbitraryFor(z.bigint().min(5n).max(7n))).every((v) => v >= 5n && v <= 7n)).toBe(true);
    expect(sampleOf(arbitraryFor(z.int64())).every((v) => v >= -(2n ** 63n) && v < 2n ** 63n)).toBe(true);
  });

  it('generates varied emails that z.email() accepts', () => {
    const values = sampleOf(arbitraryFor(z.email()));
    expect(values.every((v) => z.email().safeParse(v).success && z.string().email().safeParse(v).success)).toBe(true);
    expect(values.some((v) => v.split('@')[0]!.includes('.'))).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(values.length / 2);
  });

  it('generates strings matching regex, startsWith and length checks (lengths in code points)', () => {
    const sha = /^[a-f0-9]{64}$/;
    expect(sampleOf(arbitraryFor(z.string().regex(sha))).every((v) => sha.test(v))).toBe(true);
    const name = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/;
    expect(sampleOf(arbitraryFor(z.string().regex(name))).every((v) => name.test(v))).toBe(true);
    expect(sampleOf(arbitraryFor(z.string().startsWith('/'))).every((v) => v.startsWith('/'))).toBe(true);
    const short = sampleOf(arbitraryFor(z.string().min(3).max(5)), 1_000);
    expect(short.every((v) => [...v].length >= 3 && [...v].length <= 5)).toBe(true);
    expect(short.some((v) => v.length > 5)).toBe(true); // astral code points: more UTF-16 units than code points
  });

  it('puts serialization stress into strings', () => {
    const values = sampleOf(arbitraryFor(z.string()), 2_000);
    for (const needle of ['"', '\\', '\n', '\u0000']) expect(values.some((v) => v.includes(needle))).toBe(true);
    expect(values).toContain('__proto__');
    expect(values.some((v) => /[\u{10000}-\u{10FFFF}]/u.test(v))).toBe(true);
    expect(values.some((v) => /\p{Cs}/u.test(v))).toBe(false); // no lone surrogates: they do not survive UTF-8
  });

  it('respects the protocol of z.url()', () => {
    expect(sampleOf(arbitraryFor(z.url({ protocol: /^https?$/ }))).every((v) => /^https?:\/\//.test(v))).toBe(true);
    expect(sampleOf(arbitraryFor(z.url({ protocol: /^wss?$/ }))).every((v) => /^wss?:\/\//.test(v))).toBe(true);
    expect(() => arbitraryFor(z.url({ protocol: /^gopher$/ }))).toThrow(/protocol/);
  });

  it('generates valid dates in 1970–2100 unless the schema asks for others', () => {
    const dates = sampleOf(arbitraryFor(z.date()));
    expect(dates.every((d) => !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 2100)).toBe(true);
    const later = new Date('2200-01-01T00:00:00Z');
    expect(sampleOf(arbitraryFor(z.date().min(later))).every((d) => d >= later)).toBe(true);
    const earlier = new Date('1960-01-01T00:00:00Z');
    const old = sampleOf(arbitraryFor(z.date().max(earlier)));
    expect(old.every((d) => d <= earlier && d.getUTCFullYear() >= 1859)).toBe(true);
  });

  it('respects integer, range and multipleOf checks', () => {
    const ints = sampleOf(arbitraryFor(z.number().int().min(1).max(50)));
    expect(ints.every((n) => Number.isInteger(n) && n >= 1 && n <= 50)).toBe(true);
    expect(sampleOf(arbitraryFor(z.number().positive())).every((n) => n > 0 && Number.isFinite(n))).toBe(true);
    expect(sampleOf(arbitraryFor(z.number().int().multipleOf(5))).every((n) => n % 5 === 0)).toBe(true);
    expect(sampleOf(arbitraryFor(z.number().min(0.1).max(0.2))).every((n) => n >= 0.1 && n <= 0.2)).toBe(true);
  });

  it('leaves optional fields absent rather than undefined, and fills defaults in the output', () => {
    const schema = z.object({ a: z.string().optional(), n: z.number().default(7) });
    const outputs = sampleOf(arbitraryFor(schema));
    expect(outputs.some((v) => !('a' in v))).toBe(true);
    expect(outputs.every((v) => !('a' in v) || typeof v.a === 'string')).toBe(true);
    expect(outputs.every((v) => typeof v.n === 'number')).toBe(true);
    expect(outputs.some((v) => v.n === 7)).toBe(true);
    expect(sampleOf(inputArbitraryFor(schema)).some((v) => !('n' in v))).toBe(true);
  });

  it('builds Maps, Sets and records within size checks, without keys superjson refuses', () => {
    expect(sampleOf(arbitraryFor(z.map(z.string(), z.number()))).every((m) => m instanceof Map)).toBe(true);
    expect(sampleOf(arbitraryFor(z.set(z.string()).min(2).max(3))).every((s) => s instanceof Set && s.size >= 2 && s.size <= 3)).toBe(true);
    const records = sampleOf(arbitraryFor(z.record(z.string(), z.number())), 2_000);
    expect(records.some((r) => Object.keys(r).length > 0)).toBe(true);
    expect(records.every((r) => !['__proto__', 'constructor', 'prototype'].some((k) => Object.hasOwn(r, k)))).toBe(true);
    expect(sampleOf(arbitraryFor(z.record(z.enum(['a', 'b']), z.boolean()))).every((r) => 'a' in r && 'b' in r)).toBe(true);
  });

  it('terminates on recursive schemas', () => {
    interface Tree {
      name: string;
      children: Tree[];
    }
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree) }));
    expect(sampleOf(arbitraryFor(tree), 100).every((t) => tree.safeParse(t).success)).toBe(true);
  });

  it('throws for z.never(), skips never branches, and names unsupported kinds with their path', () => {
    expect(() => arbitraryFor(z.never())).toThrow(/z\.never\(\)/);
    expect(sampleOf(arbitraryFor(z.object({ gone: z.never().optional(), n: z.union([z.never(), z.number()]) })), 20)).toHaveLength(20);
    expect(() => arbitraryFor(z.object({ a: z.object({ f: z.symbol() }) }))).toThrow(/'symbol' at \(root\)\.a\.f/);
    expect(() => arbitraryFor(z.object({ list: z.array(z.custom<string>()) }))).toThrow(/'custom' at \(root\)\.list\[\]/);
    // A check the generators cannot model fails after a bounded number of misses instead of hanging.
    expect(() => fc.sample(arbitraryFor(z.email().startsWith('zzz-admin')), 1)).toThrow(/in a row generated at \(root\)/);
  });
});

describe('invalidValuesFor', () => {
  const email = { to: 'a@example.com', subject: 'Hi', html: '<p>hi</p>' };

  it('labels field, format, length and whole-value mutations', () => {
    const labels = invalidValuesFor(sendEmail.input, email).map((i) => i.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'to: invalid email (no @)',
        'to: missing',
        'subject: shorter than 1',
        'subject: longer than 998',
        'cc: more than 50 items',
        'cc[0]: invalid email (no TLD)',
        'sendAt: an ISO string instead of a Date',
        '(root): null',
        '(root): an object with only an own __proto__ key',
      ]),
    );
  });

  it('breaks refinements, nested objects, rich types and numeric constraints', () => {
    const report = { title: 'r', from: new Date('2024-01-01'), to: new Date('2024-01-02') };
    expect(invalidValuesFor(generateReport.input, report).map((i) => i.label)).toContain('(root): from a day after to (refinement)');
    // Version 1 of licenseExpiry: objects inside an array the sample leaves empty.
    const licenses = invalidValuesFor(licenseExpiry.migrations[1]!.input, { licenses: [] }).map((i) => i.label);
    expect(licenses).toEqual(expect.arrayContaining(['licenses[0].email: invalid email (no @)', 'remindWithinDays: not an integer']));
    const rich = { at: new Date(), tags: new Map([['a', 1]]), big: 2n ** 70n, note: 'n' };
    expect(invalidValuesFor(echo.input, rich).map((i) => i.label)).toEqual(
      expect.arrayContaining([
        'big: a number instead of a bigint',
        'tags: a plain object instead of a Map',
        'set: an array instead of a Set',
      ]),
    );
  });

  it('keeps an own __proto__ key only where the schema rejects it, without polluting prototypes', () => {
    const strict = z.strictObject({ a: z.number() });
    const invalid = invalidValuesFor(strict, { a: 1 });
    const proto = invalid.find((i) => i.label === '(root): an extra own __proto__ key');
    expect(proto && Object.hasOwn(proto.value as object, '__proto__')).toBe(true);
    expect(invalidValuesFor(z.object({ a: z.number() }), { a: 1 }).map((i) => i.label)).not.toContain('(root): an extra own __proto__ key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('caps at max while spreading over fields, and refuses an invalid sample', () => {
    const capped = invalidValuesFor(sendEmail.input, email, { max: 6 });
    expect(capped).toHaveLength(6);
    expect(new Set(capped.map((i) => i.label.split(':')[0])).size).toBe(6);
    expect(() => invalidValuesFor(sendEmail.input, { to: 'nope' })).toThrow(/rejects the sample/);
  });
});
