/**
 * One example per entry of the coverage tables (`shared/src/evolution/coverage.ts`), walked from
 * the tables themselves so an entry without an example fails:
 * - compared: a looser and a tighter schema, judged as an input and as an output, both ways;
 * - inert: two schemas that differ only there, with no change found;
 * - invisible: a contract that uses it gets a warning naming the field.
 */
import { wireJsonSchema } from '@taskwire/shared';
import {
  CHECK_KINDS,
  type Coverage,
  compareSchemas,
  FORMATS,
  invisibleConstraints,
  OPTIONS,
  SCHEMA_TYPES,
} from '@taskwire/shared/evolution';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { COMPARED, INERT, INVISIBLE, NO_PUBLIC_API } from './compare-kinds.examples.ts';

const TABLES: [string, Readonly<Record<string, Coverage>>][] = [
  ['type', SCHEMA_TYPES],
  ['check', CHECK_KINDS],
  ['format', FORMATS],
  ['option', OPTIONS],
];
const entries = TABLES.flatMap(([table, rows]) => Object.entries(rows).map(([name, coverage]) => ({ key: `${table}:${name}`, coverage })));
const keysOf = (coverage: (c: Coverage) => boolean) => entries.filter((e) => coverage(e.coverage)).map((e) => e.key);

type Direction = 'accepts' | 'produces';
const io = { accepts: 'input', produces: 'output' } as const;
/** The breaking changes of replacing `before` by `after` in field `v`, as the lock sees it. */
function breaking(before: z.ZodType, after: z.ZodType, direction: Direction) {
  const doc = (schema: z.ZodType) => JSON.parse(JSON.stringify(wireJsonSchema(z.object({ v: schema }), io[direction])));
  const changes = compareSchemas(doc(before), doc(after), direction);
  return { changes, breaks: changes.some((c) => c.breaking) };
}

describe('every compared construct is judged both ways, for inputs and outputs', () => {
  it('has an example for each', () => {
    const missing = keysOf((c) => c === 'compared').filter((key) => !(key in COMPARED) && !NO_PUBLIC_API.includes(key));
    expect(missing).toEqual([]);
  });

  const rows = Object.entries(COMPARED).map(([key, example]) => ({ key, ...example }));
  it.each(rows)('$key', ({ loose, tight, accepts = 'ordered', produces = 'ordered' }) => {
    const expectations: Record<Direction, string> = { accepts, produces };
    let seen = 0;
    for (const direction of ['accepts', 'produces'] as const) {
      const tighten = breaking(loose(), tight(), direction);
      const loosen = breaking(tight(), loose(), direction);
      const expected = {
        ordered: direction === 'accepts' ? [true, false] : [false, true],
        changed: [true, true],
        neutral: [false, false],
      }[expectations[direction]];
      const context = JSON.stringify({ direction, tighten: tighten.changes, loosen: loosen.changes }, null, 1);
      expect([tighten.breaks, loosen.breaks], context).toEqual(expected);
      seen += tighten.changes.length + loosen.changes.length;
    }
    // The lock sees the difference, even where it breaks nothing.
    expect(seen).toBeGreaterThan(0);
  });
});

describe('every inert construct changes nothing', () => {
  it('has an example for each, unless zod offers no way to set it', () => {
    const missing = keysOf((c) => c === 'inert').filter((key) => !(key in INERT) && !NO_PUBLIC_API.includes(key));
    expect(missing).toEqual([]);
  });

  it.each(Object.entries(INERT).map(([key, pair]) => ({ key, pair })))('$key', ({ pair: [a, b] }) => {
    for (const direction of ['accepts', 'produces'] as const) expect(breaking(a(), b(), direction).changes).toEqual([]);
  });
});

describe('every invisible construct is named where a contract uses it', () => {
  it('has an example for each', () => {
    const missing = keysOf((c) => typeof c === 'object').filter((key) => !(key in INVISIBLE));
    expect(missing).toEqual([]);
  });

  const rows = Object.entries(INVISIBLE).map(([key, schema]) => ({ key, schema }));
  it.each(rows)('$key', ({ key, schema }) => {
    const coverage = entries.find((e) => e.key === key)?.coverage;
    const warnings = invisibleConstraints(z.object({ v: schema() }));
    expect(warnings.filter((w) => w.path === 'v').map((w) => w.what)).toContain((coverage as { invisible: string }).invisible);
  });

  it('names nothing in a contract that uses only compared constructs', () => {
    const schema = z.object({
      to: z.email(),
      url: z.url({ protocol: /^https$/ }),
      at: z.date().min(new Date(0)),
      n: z.bigint().positive(),
      tags: z.set(z.string().min(1)).max(5),
      meta: z.record(z.string(), z.number().int()).optional(),
      kind: z.enum(['a', 'b']).default('a'),
      code: z
        .string()
        .startsWith('x')
        .regex(/^x\d+$/),
      when: z.iso.datetime({ offset: true }),
    });
    expect(invisibleConstraints(schema)).toEqual([]);
  });

  it('names regex flags the lock drops, and any zod construct it does not classify', () => {
    expect(invisibleConstraints(z.object({ name: z.string().regex(/^a/i) }))).toEqual([
      { path: 'name', what: "the regex flags 'i' of /^a/i: the lock records the pattern without them" },
    ]);
    const unknown = z.string();
    (unknown._zod.def as unknown as { type: string }).type = 'hologram';
    expect(invisibleConstraints(z.object({ a: unknown }))).toEqual([
      { path: 'a', what: "a zod type 'hologram' that taskwire does not classify" },
    ]);
  });
});
