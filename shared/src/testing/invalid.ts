import fc from 'fast-check';
import type { z } from 'zod';
import { inputArbitraryFor } from './arbitrary.ts';
import { type CheckDef, checksOf, type Def, defOf, lengthBounds } from './zod-def.ts';

/** A value the schema rejects, labelled `<path>: <how it was broken>` for test names. */
export interface InvalidValue {
  label: string;
  value: unknown;
}

/** The parts of a zod 4 definition read here (see arbitrary.ts for the generator side). */

/** Passed to a rebuild instead of a replacement to remove an object field. */
const MISSING: unique symbol = Symbol('missing');
/** Turns a replacement for one position into a whole root value. */
type Rebuild = (replacement: unknown) => unknown;
type Emit = (path: string, label: string, value: unknown) => void;
type Put = (how: string, replacement: unknown) => void;

/** Past this many object levels below the root, fields are not mutated one by one. */
const MAX_DEPTH = 3;
/** Too-long strings and arrays are only built when they stay this small, to keep requests sane. */
const MAX_BUILT_LENGTH = 100_000;
const DAY_MS = 86_400_000;

/**
 * Mutations of one valid `sample` that `schema` rejects, each labelled with where and how it was
 * broken, e.g. `"to: invalid email (no @)"` or `"(root): null"`. Covers whole-value garbage (null,
 * wrong types, own `__proto__` keys, deep nesting), and per field — recursing into nested objects,
 * arrays, maps, sets and records — missing required fields, wrong types and violated constraints
 * (lengths, formats, patterns, ranges, integers, enums, sizes, refinements swapping two fields).
 * Every returned value fails `schema.safeParse`; candidates the schema accepts are dropped. Fields
 * are interleaved so `max` keeps a spread of them.
 *
 * @example
 * for (const { label, value } of invalidValuesFor(sendEmail.input, { to: 'a@example.com', subject: 'Hi', html: '' })) {
 *   it(`rejects ${label}`, () => expect(sendEmail.input.safeParse(value).success).toBe(false));
 * }
 */
export function invalidValuesFor(schema: z.ZodType, sample: unknown, options: { max?: number } = {}): InvalidValue[] {
  let accepted = false;
  try {
    accepted = schema.safeParse(sample).success;
  } catch {
    // A sample that makes the schema throw is not a valid sample either.
  }
  if (!accepted) throw new Error('invalidValuesFor: the schema rejects the sample; pass a valid input');
  const groups = new Map<string, InvalidValue[]>();
  const seen = new Set<string>();
  const emit: Emit = (path, how, value) => {
    const label = `${path}: ${how}`;
    if (seen.has(label) || !rejects(schema, value)) return;
    seen.add(label);
    groups.set(path, [...(groups.get(path) ?? []), { label, value }]);
  };
  mutate(schema, sample, [], (r) => r, emit, 0);
  for (const [how, value] of rootGarbage(sample)) emit('(root)', how, value);
  return interleave([...groups.values()]).slice(0, options.max ?? Number.POSITIVE_INFINITY);
}

/** True when parsing fails cleanly; a parse that throws (e.g. a refinement crashing) is not a rejection. */
function rejects(schema: z.ZodType, value: unknown): boolean {
  try {
    return !schema.safeParse(value).success;
  } catch {
    return false;
  }
}

/** The first mutation of every position, then the second of every position, and so on. */
function interleave(groups: InvalidValue[][]): InvalidValue[] {
  const out: InvalidValue[] = [];
  const longest = Math.max(0, ...groups.map((g) => g.length));
  for (let i = 0; i < longest; i++) {
    for (const group of groups) {
      const item = group[i];
      if (item) out.push(item);
    }
  }
  return out;
}

function rootGarbage(sample: unknown): [string, unknown][] {
  let deep: unknown = { leaf: null };
  for (let i = 0; i < 64; i++) deep = i % 2 ? [deep] : { nested: deep };
  return [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'not an object'],
    ['a number', 42],
    ['an empty object', {}],
    ['an array of the sample', [sample]],
    ['an object with only an own __proto__ key', JSON.parse('{"__proto__":{"polluted":true}}')],
    ['deeply nested garbage', deep],
  ];
}

/** The schema that decides the shape of a present value: wrappers that only add undefined/null/defaults removed. */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  if (['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional'].includes(def.type)) return unwrap(def.innerType!);
  if (def.type === 'pipe') return unwrap(def.in!);
  if (def.type === 'lazy') return unwrap(def.getter!());
  return schema;
}

/** A valid value for a position the sample leaves empty (absent optional field, empty array). */
function exampleOf(schema: z.ZodType): unknown {
  try {
    return fc.sample(inputArbitraryFor(schema), { numRuns: 1, seed: 42 })[0];
  } catch {
    return undefined;
  }
}

/** `licenses[0].email`, or `(root)` for the whole value. */
function labelOf(path: (string | number)[]): string {
  const joined = path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i > 0 ? `.${key}` : key)).join('');
  return joined || '(root)';
}

/** Emits every mutation of `value` (at `path`, typed by `schema`) as a whole root value via `rebuild`. */
function mutate(schema: z.ZodType, value: unknown, path: (string | number)[], rebuild: Rebuild, emit: Emit, depth: number): void {
  const node = unwrap(schema);
  const def = defOf(node);
  const where = labelOf(path);
  const put: Put = (how, replacement) => emit(where, how, rebuild(replacement));
  const mutators: Record<string, () => void> = {
    object: () => mutateObject(def, value, path, rebuild, emit, depth),
    array: () => mutateArray(def, value, path, rebuild, emit, depth, put),
    string: () => mutateString(def, value, put),
    number: () => mutateNumber(def, value, put),
    bigint: () => mutateBigint(def, value, put),
    date: () => mutateDate(def, value, put),
    boolean: () => {
      put('the string "true"', 'true');
      put('the number 1', 1);
    },
    enum: () => mutateChoice(node, 'the enum', put),
    literal: () => mutateChoice(node, 'the literal', put),
    set: () => mutateSet(def, value, put),
    map: () => mutateMap(def, value, put),
    record: () => mutateRecord(def, value, put),
  };
  const mutator = mutators[def.type];
  if (mutator) mutator();
  else put(`a wrong type (${typeof value === 'string' ? 'number' : 'string'})`, typeof value === 'string' ? 42 : 'wrong type');
  // Constraint violations first, blunt ones last, so a small `max` keeps the telling cases.
  if (path.length > 0) put('null', null);
}

function mutateChoice(node: z.ZodType, what: string, put: Put): void {
  const [first] = [...((node._zod as { values?: Set<unknown> }).values ?? [])];
  put(`a value not in ${what}`, `${String(first)}_not_allowed`);
  if (typeof first === 'string' && first.toUpperCase() !== first) put('the wrong case', first.toUpperCase());
  put('a number', 0);
}

function mutateSet(def: Def, value: unknown, put: Put): void {
  const set = value instanceof Set ? value : new Set();
  put('an array instead of a Set', [...set]);
  put('a Set with a wrong-type element', new Set([...set, wrongTypeFor(def.valueType!)]));
  sizeMutations(def, [...set], def.valueType!, (items) => new Set(items), put);
}

function mutateMap(def: Def, value: unknown, put: Put): void {
  const map = value instanceof Map ? value : new Map();
  const [key, val] = map.size > 0 ? [...map][0]! : [exampleOf(def.keyType!), exampleOf(def.valueType!)];
  put('a plain object instead of a Map', Object.fromEntries([...map].map(([k, v]) => [String(k), v])));
  put('an entries array instead of a Map', [...map]);
  put('a Map with a wrong-type key', new Map([...map, [wrongTypeFor(def.keyType!), val]]));
  put('a Map with a wrong-type value', new Map([...map, [key, wrongTypeFor(def.valueType!)]]));
}

function mutateRecord(def: Def, value: unknown, put: Put): void {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const [firstKey] = Object.keys(record);
  put('an array instead of a record', Object.values(record));
  put('a record with a wrong-type value', { ...record, [firstKey ?? 'key']: wrongTypeFor(def.valueType!) });
  put('a record with a key outside the key schema', { ...record, 'not a valid key!': exampleOf(def.valueType!) });
  if (firstKey !== undefined) put(`a record without key "${firstKey}"`, omit(record, firstKey));
}

function omit(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _omitted, ...rest } = record;
  return rest;
}

/** A value of some other type than the schema's, for "wrong-type element/key/value" mutations. */
function wrongTypeFor(schema: z.ZodType): unknown {
  return defOf(unwrap(schema)).type === 'string' ? 42 : 'wrong type';
}

function mutateObject(def: Def, value: unknown, path: (string | number)[], rebuild: Rebuild, emit: Emit, depth: number) {
  const where = labelOf(path);
  const put: Put = (how, replacement) => emit(where, how, rebuild(replacement));
  const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (path.length > 0) {
    put('a string instead of an object', '[object Object]');
    put('an array instead of an object', [object]);
    put('an object with only an own __proto__ key', JSON.parse('{"__proto__":{"polluted":true}}'));
  }
  // Kept only by strict objects; a stripping object accepts it.
  const withProto = { ...object };
  Object.defineProperty(withProto, '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
  put('an extra own __proto__ key', withProto);
  put('an extra unknown key', { ...object, unexpectedKey: 'unexpected' });
  if (checksOf(def).some((c) => c.check === 'custom')) refinementSwaps(object, put);
  if (depth > MAX_DEPTH) return;
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const fieldRebuild: Rebuild = (r) => rebuild(r === MISSING ? omit(object, key) : { ...object, [key]: r });
    const fieldValue = Object.hasOwn(object, key) ? object[key] : exampleOf(unwrap(field));
    mutate(field, fieldValue, [...path, key], fieldRebuild, emit, depth + 1);
    if (field._zod.optin === undefined) emit(labelOf([...path, key]), 'missing', fieldRebuild(MISSING));
  }
}

/** For refined objects (e.g. `from <= to`): push one date or number field past another. */
function refinementSwaps(object: Record<string, unknown>, put: Put): void {
  const keys = Object.keys(object);
  for (const a of keys) {
    for (const b of keys) {
      const [x, y] = [object[a], object[b]];
      if (a === b) continue;
      if (x instanceof Date && y instanceof Date)
        put(`${a} a day after ${b} (refinement)`, { ...object, [a]: new Date(y.getTime() + DAY_MS) });
      if (typeof x === 'number' && typeof y === 'number') put(`${a} above ${b} (refinement)`, { ...object, [a]: y + 1 });
    }
  }
}

const BAD_PATTERN_CANDIDATES = ['', ' ', '!', '../', '\n', 'é', 'x'.repeat(256)];

function mutateString(def: Def, value: unknown, put: Put): void {
  const current = typeof value === 'string' ? value : '';
  const { min, max } = lengthBounds(def);
  if (min > 0) put(`shorter than ${min}`, 'x'.repeat(min - 1));
  if (max < MAX_BUILT_LENGTH) {
    put(`longer than ${max}`, 'x'.repeat(max + 1));
    // zod counts code points: max + 1 emoji are over the limit, though `max` of them would fit.
    put(`longer than ${max} code points (emoji)`, '😀'.repeat(max + 1));
  }
  for (const c of checksOf(def)) {
    if (c.check !== 'string_format') continue;
    if (c.format === 'email') {
      put('invalid email (no @)', 'not-an-email');
      put('invalid email (no TLD)', 'user@localhost');
      put('invalid email (space)', 'a b@example.com');
    } else if (c.format === 'url') {
      put('invalid url', 'not a url');
      put('url without a scheme', 'example.com/path');
      put('url with the ftp: protocol', 'ftp://example.com/file');
      put('url with the javascript: protocol', 'javascript:alert(1)');
    } else if (c.format === 'starts_with') {
      put(`not starting with ${JSON.stringify(c.prefix)}`, `x${current.slice(c.prefix!.length)}`);
    } else if (c.format === 'ends_with') {
      put(`not ending with ${JSON.stringify(c.suffix)}`, `${current.slice(0, current.length - c.suffix!.length)}x`);
    } else if (c.pattern) {
      const misses = [...BAD_PATTERN_CANDIDATES, `${current}!`, `-${current}`].filter(
        (s) => !new RegExp(c.pattern!.source, c.pattern!.flags).test(s),
      );
      for (const miss of misses.slice(0, 3))
        put(`not matching ${c.format === 'regex' ? c.pattern : c.format} (${JSON.stringify(miss).slice(0, 24)})`, miss);
    }
  }
  put('a number instead of a string', 42);
}

/** Reads greater_than / less_than checks (numbers, bigints, dates) and whether the value must be an integer. */
function rangeOf(def: Def): { lo?: CheckDef; hi?: CheckDef; int: boolean } {
  const checks = checksOf(def);
  const tightest = (kind: string, better: (a: unknown, b: unknown) => boolean) =>
    checks
      .filter((c) => c.check === kind)
      .reduce<CheckDef | undefined>((best, c) => (best && !better(c.value, best.value) ? best : c), undefined);
  return {
    // Values are numbers, bigints or Dates; `<`/`>` compare all three.
    lo: tightest('greater_than', (a, b) => (a as number) > (b as number)),
    hi: tightest('less_than', (a, b) => (a as number) < (b as number)),
    int: checks.some((c) => ['safeint', 'int32', 'uint32', 'int64', 'uint64'].includes(c.format ?? '')),
  };
}

function mutateNumber(def: Def, value: unknown, put: Put): void {
  const current = typeof value === 'number' ? value : 0;
  const { lo, hi, int } = rangeOf(def);
  if (lo) {
    const v = lo.value as number;
    put(lo.inclusive ? `below the minimum ${v}` : `equal to the exclusive minimum ${v}`, lo.inclusive ? v - (int ? 1 : 0.5) : v);
  }
  if (hi) {
    const v = hi.value as number;
    put(hi.inclusive ? `above the maximum ${v}` : `equal to the exclusive maximum ${v}`, hi.inclusive ? v + (int ? 1 : 0.5) : v);
  }
  if (int) {
    put('not an integer', current + 0.5);
    put('an unsafe integer (2^53)', 2 ** 53);
  }
  put('a numeric string', String(current));
  put('NaN', Number.NaN);
  put('Infinity', Number.POSITIVE_INFINITY);
  put('-Infinity', Number.NEGATIVE_INFINITY);
  put('a bigint', BigInt(Math.trunc(current)));
}

function mutateBigint(def: Def, value: unknown, put: Put): void {
  const current = typeof value === 'bigint' ? value : 0n;
  const { lo, hi } = rangeOf(def);
  if (lo) put(`below the minimum ${lo.value}`, (lo.value as bigint) - (lo.inclusive ? 1n : 0n));
  if (hi) put(`above the maximum ${hi.value}`, (hi.value as bigint) + (hi.inclusive ? 1n : 0n));
  put('a number instead of a bigint', Number(current));
  put('a string instead of a bigint', String(current));
}

function mutateDate(def: Def, value: unknown, put: Put): void {
  const current = value instanceof Date ? value : new Date(0);
  const { lo, hi } = rangeOf(def);
  const time = (check: CheckDef) => new Date(check.value as Date | number).getTime();
  if (lo) put('before the minimum date', new Date(time(lo) - (lo.inclusive ? 1 : 0)));
  if (hi) put('after the maximum date', new Date(time(hi) + (hi.inclusive ? 1 : 0)));
  // What a Date becomes when something on the way uses JSON instead of superjson.
  put('an ISO string instead of a Date', current.toISOString());
  put('an invalid Date', new Date(Number.NaN));
  put('the string "not a date"', 'not a date');
  put('a timestamp number instead of a Date', current.getTime());
}

function mutateArray(def: Def, value: unknown, path: (string | number)[], rebuild: Rebuild, emit: Emit, depth: number, put: Put) {
  const array = Array.isArray(value) ? value : [];
  sizeMutations(def, array, def.element!, (items) => items, put);
  put('an array with a wrong-type element', [...array, wrongTypeFor(def.element!)]);
  put('an array with a null element', [...array, null]);
  put('an object instead of an array', { ...array });
  put('a Set instead of an array', new Set(array));
  if (depth > MAX_DEPTH) return;
  // Mutate the first element, adding a valid one when the sample's array is empty.
  const base = array.length > 0 ? array : [exampleOf(def.element!)];
  if (base[0] === undefined) return;
  mutate(def.element!, base[0], [...path, 0], (r) => rebuild(base.map((item, i) => (i === 0 ? r : item))), emit, depth + 1);
}

/** Too few / too many items, padding with distinct valid elements so a Set really grows past `max`. */
function sizeMutations(def: Def, items: unknown[], element: z.ZodType, make: (items: unknown[]) => unknown, put: Put) {
  const { min, max } = lengthBounds(def);
  if (min > 0) put(`fewer than ${min} items`, make(items.slice(0, min - 1)));
  const finite = (unwrap(element)._zod as { values?: Set<unknown> }).values;
  if (max >= 100 || (finite && finite.size <= max)) return;
  try {
    const distinct = fc.uniqueArray(inputArbitraryFor(element), { minLength: max + 1, maxLength: max + 1, comparator: 'SameValueZero' });
    const extra = fc.sample(distinct, { numRuns: 1, seed: 42 })[0]!;
    put(`more than ${max} items`, make([...items, ...extra]));
  } catch {
    // No generator for the element: leave this mutation out.
  }
}
