import { type JsonSchema, wireJsonSchema } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Change, compareSchemas, type Direction } from '../../shared/src/evolution/compare.ts';

const io: Record<Direction, 'input' | 'output'> = { accepts: 'input', produces: 'output' };
const diff = (before: z.ZodType, after: z.ZodType, direction: Direction) =>
  compareSchemas(wireJsonSchema(before, io[direction]), wireJsonSchema(after, io[direction]), direction);
const brief = (changes: Change[]) => changes.map((c) => `${c.breaking ? 'BREAKS' : 'safe'} ${c.path}: ${c.message}`);

describe('compareSchemas', () => {
  it('names paths through arrays, records, Maps, tuples and odd keys', () => {
    const before = z.object({
      items: z.array(z.object({ name: z.string() })),
      meta: z.object({ tags: z.record(z.string(), z.number()) }),
      counts: z.map(z.string(), z.number()),
      pair: z.tuple([z.string(), z.number()]),
      'content-type': z.string(),
    });
    const after = z.object({
      items: z.array(z.object({ name: z.number() })),
      meta: z.object({ tags: z.record(z.string(), z.string()) }),
      counts: z.map(z.number(), z.number()),
      pair: z.tuple([z.string(), z.string()]),
      'content-type': z.number(),
    });
    expect(diff(before, after, 'accepts').map((c) => c.path)).toEqual([
      'items[].name',
      'meta.tags{}',
      'counts{key}',
      'pair[1]',
      '["content-type"]',
    ]);
  });

  it('reports the root as the empty path', () => {
    expect(brief(diff(z.string(), z.number(), 'accepts'))).toEqual(['BREAKS : type changed from string to number']);
  });

  it('follows $defs refs in recursive schemas and stops at the cycle', () => {
    interface Tree {
      value: number;
      children: Tree[];
    }
    const before: z.ZodType<Tree> = z.object({
      value: z.number(),
      get children() {
        return z.array(before);
      },
    });
    const after: z.ZodType<Tree> = z.object({
      value: z.number().int(),
      get children() {
        return z.array(after);
      },
    });
    expect(brief(diff(z.object({ root: before }), z.object({ root: after }), 'accepts'))).toEqual([
      'BREAKS root.value: type narrowed from number to integer',
    ]);
    expect(diff(z.object({ root: before }), z.object({ root: before }), 'produces')).toEqual([]);
  });

  it('resolves refs inside the schemas wireJsonSchema embeds in Maps and Sets', () => {
    const node = (value: z.ZodType) => {
      const schema: z.ZodType = z.object({
        value,
        get next() {
          return schema.optional();
        },
      });
      return z.object({ a: schema, b: schema });
    };
    const before = z.object({ byId: z.map(z.string(), node(z.number())), all: z.set(node(z.number())) });
    const after = z.object({ byId: z.map(z.string(), node(z.string())), all: z.set(node(z.number())) });
    expect(diff(before, after, 'accepts').map((c) => c.path)).toEqual(['byId{}.a.value', 'byId{}.b.value']);
  });

  it('pairs discriminated union members by their tag', () => {
    const before = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('email'), to: z.email() }),
      z.object({ kind: z.literal('sms'), phone: z.string() }),
    ]);
    const after = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('email'), to: z.email(), cc: z.email() }),
      z.object({ kind: z.literal('push'), token: z.string() }),
    ]);
    expect(brief(diff(before, after, 'accepts'))).toEqual([
      "BREAKS cc: in member kind='email': required field 'cc' added (queued jobs do not have it)",
      "BREAKS : union member kind='sms' removed",
      "safe : union member kind='push' added",
    ]);
    expect(brief(diff(before, after, 'produces'))).toEqual([
      "safe cc: in member kind='email': field 'cc' added (old clients ignore it)",
      "BREAKS : union member kind='push' added",
      "safe : union member kind='sms' removed",
    ]);
  });

  it('treats literal unions as enums', () => {
    const before = z.object({ role: z.union([z.literal('member'), z.literal('admin')]) });
    const after = z.object({ role: z.literal('member') });
    expect(brief(diff(before, after, 'accepts'))).toEqual(["BREAKS role: enum value 'admin' removed"]);
  });

  it('knows that > 0 and >= 1 are the same bound for integers, but not for numbers', () => {
    expect(diff(z.int().positive(), z.int().min(1), 'accepts')).toEqual([]);
    expect(brief(diff(z.number().positive(), z.number().min(0), 'accepts'))).toEqual(['safe : lower bound lowered from > 0 to >= 0']);
  });

  it('orders multipleOf steps', () => {
    expect(brief(diff(z.number().multipleOf(5), z.number().multipleOf(10), 'accepts'))).toEqual([
      'BREAKS : multipleOf changed from 5 to 10',
    ]);
    expect(brief(diff(z.number().multipleOf(10), z.number().multipleOf(5), 'accepts'))).toEqual(['safe : multipleOf changed from 10 to 5']);
    expect(brief(diff(z.number().multipleOf(4), z.number().multipleOf(6), 'produces'))).toEqual([
      'BREAKS : multipleOf changed from 4 to 6',
    ]);
  });

  it('judges tuple growth both ways', () => {
    const before = z.tuple([z.string()]);
    const after = z.tuple([z.string(), z.number()]);
    expect(
      diff(before, after, 'accepts')
        .filter((c) => c.breaking)
        .map((c) => c.message),
    ).toEqual(['minItems raised from 1 to 2']);
    expect(
      diff(before, after, 'produces')
        .filter((c) => c.breaking)
        .map((c) => c.message),
    ).toEqual(['maxItems raised from 1 to 2', 'tuple element [1] added']);
  });

  it('judges undeclared keys by what callers and queued jobs may send', () => {
    // A strip object accepted (and dropped) unknown keys: callers built on it may still send some.
    expect(brief(diff(z.object({ a: z.string() }), z.strictObject({ a: z.string() }), 'accepts'))).toEqual([
      'BREAKS : unknown keys are now rejected (callers built from the old contract may send some)',
    ]);
    expect(brief(diff(z.strictObject({ a: z.string() }), z.object({ a: z.string() }), 'accepts'))).toEqual([
      'safe : unknown keys are now stripped instead of rejected',
    ]);
    // A loose object queued them as they came.
    expect(brief(diff(z.looseObject({ a: z.string() }), z.strictObject({ a: z.string() }), 'accepts'))).toEqual([
      'BREAKS : extra keys are now rejected (queued jobs may carry some)',
    ]);
    // A removed field is an unknown key to a strict object.
    expect(diff(z.strictObject({ a: z.string(), b: z.string() }), z.strictObject({ a: z.string() }), 'accepts')[0]).toMatchObject({
      path: 'b',
      breaking: true,
    });
  });

  it('compares record and catchall values', () => {
    expect(brief(diff(z.object({}).catchall(z.number()), z.object({}).catchall(z.int()), 'accepts'))).toEqual([
      'BREAKS {}: type narrowed from number to integer',
    ]);
    expect(brief(diff(z.record(z.enum(['a', 'b']), z.number()), z.record(z.enum(['a', 'b', 'c']), z.number()), 'accepts'))).toEqual([
      "BREAKS c: field 'c' became required",
      "safe {key}: enum value 'c' added",
    ]);
  });

  it('reports an optional output field removed as safe, a required one as breaking', () => {
    const before = z.object({ a: z.string(), b: z.string().optional() });
    expect(brief(diff(before, z.object({ a: z.string() }), 'produces'))).toEqual([
      "safe b: optional field 'b' removed (clients already handle its absence)",
    ]);
    expect(brief(diff(before, z.object({ b: z.string().optional() }), 'produces'))).toEqual([
      "BREAKS a: field 'a' removed (clients read it)",
    ]);
  });

  it('pairs same-kind union members by the counterpart that breaks least', () => {
    const before = z.object({ id: z.union([z.email(), z.uuid()]) });
    expect(brief(diff(before, z.object({ id: z.union([z.email(), z.uuid(), z.url()]) }), 'produces'))).toEqual([
      'BREAKS id: union member #3 added',
    ]);
    expect(brief(diff(before, z.object({ id: z.email() }), 'accepts'))).toEqual(['BREAKS id: union member #2 removed']);
    expect(diff(before, z.object({ id: z.string() }), 'accepts').every((c) => !c.breaking)).toBe(true);
  });

  it('is conservative about what it does not model', () => {
    const doc = (extra: JsonSchema): JsonSchema => ({ type: 'object', properties: { a: { type: 'array', ...extra } }, required: ['a'] });
    expect(compareSchemas(doc({ contains: { type: 'string' } }), doc({ contains: { type: 'number' } }), 'accepts')).toEqual([
      { path: 'a', kind: 'unproven', breaking: true, message: "keyword 'contains' changed; could not be proven compatible" },
    ]);
    const allOf = (n: number): JsonSchema => ({ type: 'object', properties: { a: { allOf: [{ type: 'string' }, { minLength: n }] } } });
    expect(compareSchemas(allOf(1), allOf(2), 'produces')).toMatchObject([{ path: 'a', kind: 'unproven', breaking: true }]);
    const ref = (target: string, n: number): JsonSchema => ({ type: 'object', properties: { a: { $ref: target }, n: { const: n } } });
    expect(compareSchemas(ref('https://example.com/a.json', 1), ref('https://example.com/a.json', 2), 'accepts')).toMatchObject([
      {
        path: 'a',
        kind: 'unproven',
        breaking: true,
        message: "$ref 'https://example.com/a.json' could not be resolved; could not be proven compatible",
      },
      { path: 'n', breaking: true },
    ]);
    // The same document is compatible with itself whatever it contains.
    expect(compareSchemas(ref('https://example.com/a.json', 1), ref('https://example.com/a.json', 1), 'accepts')).toEqual([]);
  });

  it('ignores annotations and does not modify its inputs', () => {
    const before = Object.freeze(wireJsonSchema(z.object({ a: z.string().describe('old'), b: z.date() }), 'input'));
    const after = wireJsonSchema(z.object({ a: z.string().describe('new'), b: z.date() }), 'input');
    const copy = structuredClone(before);
    expect(compareSchemas(before, after, 'accepts')).toEqual([]);
    expect(before).toEqual(copy);
  });
});
