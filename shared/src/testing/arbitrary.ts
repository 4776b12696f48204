import fc from 'fast-check';
import { z } from 'zod';
import { type CheckDef, checksOf, type Def, defOf, lengthBounds } from './zod-def.ts';

/**
 * The parts of a zod 4 definition (`schema._zod.def`) read here. zod types its defs as one union
 * per kind; reading them through one loose shape keeps the switch below flat.
 */

interface Ctx {
  path: string;
  /** How many `z.lazy` schemas enclose this one; past a few, only minimal values are built. */
  lazyDepth: number;
}

type Arb = fc.Arbitrary<unknown>;

const MAX_LAZY_DEPTH = 3;
/** Beyond the minimum, collections get at most this many extra items so a value stays small for Redis. */
const EXTRA_ITEMS = 4;
/** Unbounded strings stay this short (in code points) so 100 values of a task stay well under 10 KB each. */
const EXTRA_CHARS = 24;
/** Dates in a range every consumer (JSON, Postgres, SMTP headers, `toISOString`) handles. */
const SANE_DATES = { min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 11, 31, 23, 59, 59, 999) };
const CENTURY_MS = 100 * 365.25 * 86_400_000;
const TWO_64 = 2n ** 64n;

/** Raised for a schema with no values (`z.never()`); unions and optional fields skip such branches. */
class NoValuesError extends Error {}

/**
 * An arbitrary of values the schema accepts, as its parsed output type: every value is the result of
 * `schema.parse`, so defaults are filled in. Constraints (lengths, formats, patterns, ranges, sizes)
 * are built into the generators; `safeParse` filters only catch what they do not model
 * (refinements such as `from <= to`, pipes, formats combined with other string checks). Strings
 * include quotes, backslashes, newlines, NUL, emoji and `'__proto__'`; collections stay small.
 *
 * Throws for `z.never()` and for zod kinds it cannot generate (naming the kind and the path), so a
 * task with an exotic schema fails loudly.
 *
 * @example
 * fc.assert(fc.property(arbitraryFor(sendEmail.input), (input) => sendEmail.input.safeParse(input).success));
 */
export function arbitraryFor<TSchema extends z.ZodType>(schema: TSchema): fc.Arbitrary<z.output<TSchema>> {
  return inputArbitraryFor(schema).map((value) => schema.parse(value));
}

/**
 * Like {@link arbitraryFor}, but yields what a caller may send: input-shaped values in which fields
 * with a default are sometimes left out, so the default is applied by whoever parses.
 *
 * @example
 * fc.sample(inputArbitraryFor(cleanJobs.input), 3); // may include { olderThanMs: 0 }, leaving `states` and `limit` to their defaults
 */
export function inputArbitraryFor<TSchema extends z.ZodType>(schema: TSchema): fc.Arbitrary<z.input<TSchema>> {
  const ctx = { path: '(root)', lazyDepth: 0 };
  return accepted(build(schema, ctx), schema, ctx) as fc.Arbitrary<z.input<TSchema>>;
}

/** Misses in a row after which a safety-net filter gives up: a generator that far off is a bug here. */
const MAX_MISSES = 1_000;

/** Keeps the values `schema` accepts, failing loudly instead of looping forever when it accepts none. */
function accepted(arb: Arb, schema: z.ZodType, ctx: Ctx): Arb {
  let misses = 0;
  return arb.filter((value) => {
    if (schema.safeParse(value).success) {
      misses = 0;
      return true;
    }
    if (++misses >= MAX_MISSES) {
      throw new Error(
        `arbitraryFor: ${MAX_MISSES} values in a row generated at ${ctx.path} fail the schema (refinement or unmodelled check?)`,
      );
    }
    return false;
  });
}

function unsupported(what: string, ctx: Ctx): Error {
  return new Error(`arbitraryFor: ${what} at ${ctx.path} is not supported; extend shared/src/testing/arbitrary.ts`);
}

function at(ctx: Ctx, segment: string): Ctx {
  return { ...ctx, path: segment.startsWith('[') || segment.startsWith('<') ? `${ctx.path}${segment}` : `${ctx.path}.${segment}` };
}

function build(schema: z.ZodType, ctx: Ctx): Arb {
  const def = defOf(schema);
  const arb = buildKind(schema, def, ctx);
  // Formats combined with other string checks, pipes and refinements are not fully modelled above:
  // drop the rare miss here rather than failing a whole object at the root.
  const netted =
    ['string', 'pipe', 'intersection', 'template_literal'].includes(def.type) || checksOf(def).some((c) => c.check === 'custom');
  return netted ? accepted(arb, schema, ctx) : arb;
}

function buildKind(schema: z.ZodType, def: Def, ctx: Ctx): Arb {
  switch (def.type) {
    case 'string':
      return stringArbitrary(def, ctx);
    case 'number':
      return numberArbitrary(def);
    case 'bigint':
      return bigintArbitrary(def);
    case 'date':
      return dateArbitrary(def);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
      return fc.constant(undefined);
    case 'nan':
      return fc.constant(Number.NaN);
    case 'any':
    case 'unknown':
      return jsonish;
    case 'never':
      throw new NoValuesError(`arbitraryFor: the schema at ${ctx.path} is z.never(); no value is valid, so none can be generated`);
    case 'literal':
      return fc.constantFrom(...(def.values ?? []));
    case 'enum':
      return fc.constantFrom(...(schema._zod as { values?: Set<unknown> }).values!);
    case 'template_literal':
      return matching((schema._zod as { pattern?: RegExp }).pattern!, undefined, ctx);
    case 'object':
      return objectArbitrary(def, ctx);
    case 'array':
      return sized(def, ctx, (min, max) => fc.array(build(def.element!, at(ctx, '[]')), { minLength: min, maxLength: max }));
    case 'set':
      return sized(def, ctx, (min, max) =>
        fc.uniqueArray(build(def.valueType!, at(ctx, '<element>')), { minLength: min, maxLength: max, comparator: 'SameValueZero' }),
      ).map((items) => new Set(items as unknown[]));
    case 'map':
      return sized(def, ctx, (min, max) =>
        fc.uniqueArray(fc.tuple(build(def.keyType!, at(ctx, '<key>')), build(def.valueType!, at(ctx, '<value>'))), {
          minLength: min,
          maxLength: max,
          selector: (entry) => entry[0],
          comparator: 'SameValueZero',
        }),
      ).map((entries) => new Map(entries as [unknown, unknown][]));
    case 'record':
      return recordArbitrary(def, ctx);
    case 'tuple':
      return tupleArbitrary(def, ctx);
    case 'union':
      return unionArbitrary(def, ctx);
    case 'intersection':
      return fc
        .tuple(build(def.left!, at(ctx, '<left>')), build(def.right!, at(ctx, '<right>')))
        .map(([left, right]) => (isPlainObject(left) && isPlainObject(right) ? { ...left, ...right } : left));
    case 'optional':
    case 'default':
    case 'prefault':
      return minimal(ctx) ? fc.constant(undefined) : fc.option(build(def.innerType!, ctx), { nil: undefined, freq: 4 });
    case 'nullable':
      return minimal(ctx) ? fc.constant(null) : fc.option(build(def.innerType!, ctx), { nil: null, freq: 4 });
    case 'nonoptional':
      return build(def.innerType!, ctx).filter((value) => value !== undefined);
    case 'catch':
    case 'readonly':
      return build(def.innerType!, ctx);
    case 'pipe':
      // Generate what the pipe takes in; a `.transform()` or narrower output is checked by the net in build().
      return build(def.in!, ctx);
    case 'lazy':
      if (ctx.lazyDepth > MAX_LAZY_DEPTH + 8) throw unsupported('a recursive z.lazy() schema without an optional or empty base case', ctx);
      return build(def.getter!(), { ...ctx, lazyDepth: ctx.lazyDepth + 1 });
    default:
      throw unsupported(`zod type '${def.type}'`, ctx);
  }
}

/** Past a few levels of `z.lazy`, build only the smallest values so recursive schemas terminate. */
function minimal(ctx: Ctx): boolean {
  return ctx.lazyDepth > MAX_LAZY_DEPTH;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set);
}

/** Any JSON-like value that superjson round-trips, for `z.any()` / `z.unknown()`. */
const jsonPrimitive = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }));
const jsonish: Arb = fc.oneof(
  jsonPrimitive,
  fc.array(jsonPrimitive, { maxLength: 3 }),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), jsonPrimitive, { maxKeys: 3, noNullPrototype: true }),
);

/** Reads min/max/exact length or size checks and caps the upper bound so values stay small. */
function sized(def: Def, ctx: Ctx, make: (min: number, max: number) => fc.Arbitrary<unknown[]>): fc.Arbitrary<unknown[]> {
  const { min, max } = lengthBounds(def);
  const upper = minimal(ctx) ? min : Math.min(max, min + EXTRA_ITEMS);
  // With no room for items, do not build the element arbitrary (it may be z.never()).
  return upper === 0 ? fc.constant([]) : make(min, upper);
}

function objectArbitrary(def: Def, ctx: Ctx): Arb {
  const model: Record<string, Arb> = {};
  const requiredKeys: string[] = [];
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    if (key === '__proto__') continue;
    if (field._zod.optin === undefined) {
      model[key] = build(field, at(ctx, key));
      requiredKeys.push(key);
      continue;
    }
    // An optional or defaulted field is either absent or a real value — never present-with-undefined.
    const present = presentSchema(field);
    if (present && !minimal(ctx)) model[key] = build(present, at(ctx, key));
  }
  return fc.record(model, { requiredKeys, noNullPrototype: true });
}

/** The schema of an optional field's value when present, or undefined when it can only be absent. */
function presentSchema(field: z.ZodType): z.ZodType | undefined {
  let schema = field;
  while (['optional', 'default', 'prefault', 'catch'].includes(defOf(schema).type)) schema = defOf(schema).innerType!;
  return ['undefined', 'void', 'never'].includes(defOf(schema).type) ? undefined : schema;
}

/**
 * Record keys left out: zod copies entries by assignment, so `__proto__` would vanish, and superjson
 * refuses to serialize any object with a `__proto__`, `constructor` or `prototype` key.
 */
const UNSAFE_KEYS = ['__proto__', 'constructor', 'prototype'];

function recordArbitrary(def: Def, ctx: Ctx): Arb {
  const value = () => build(def.valueType!, at(ctx, '<value>'));
  const finiteKeys = (def.keyType!._zod as { values?: Set<unknown> }).values;
  if (finiteKeys) {
    // zod requires every key of an enum-keyed record (unless z.partialRecord) and drops a declared `__proto__`.
    const keys = [...finiteKeys].map(String).filter((key) => !UNSAFE_KEYS.includes(key));
    const model = Object.fromEntries(keys.map((key) => [key, value()]));
    return fc.record(model, { requiredKeys: def.partial ? [] : keys, noNullPrototype: true });
  }
  if (minimal(ctx)) return fc.constant({});
  const key = build(def.keyType!, at(ctx, '<key>'))
    .map(String)
    .filter((k) => !UNSAFE_KEYS.includes(k));
  return fc
    .uniqueArray(fc.tuple(key, value()), { maxLength: EXTRA_ITEMS, selector: (entry) => entry[0] })
    .map((entries) => Object.fromEntries(entries));
}

function tupleArbitrary(def: Def, ctx: Ctx): Arb {
  const items = (def.items ?? []).map((item, i) => build(item, at(ctx, `[${i}]`)));
  const rest = def.rest && !minimal(ctx) ? fc.array(build(def.rest, at(ctx, '[]')), { maxLength: 3 }) : fc.constant([]);
  return fc.tuple(fc.tuple(...items), rest).map(([head, tail]) => [...head, ...tail]);
}

function unionArbitrary(def: Def, ctx: Ctx): Arb {
  const options: Arb[] = [];
  for (const [i, option] of (def.options ?? []).entries()) {
    try {
      options.push(build(option, at(ctx, `<option ${i}>`)));
    } catch (error) {
      if (!(error instanceof NoValuesError)) throw error;
    }
  }
  if (options.length === 0) throw new NoValuesError(`arbitraryFor: every option of the union at ${ctx.path} is z.never()`);
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// Strings

/** Single code points that break naive serialization, escaping, header folding or length counting. */
const STRESS_CHARS = [...'"\'\\\n\r\t\u0000<&`$/{\u2028\u00e9ßİ\u0301\u200b\ufeff中😀🎉\u{1F1FA}\u{10FFFF}'];
/** Whole values that collide with object keys, JSON keywords or escaping. */
const STRESS_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'null',
  'undefined',
  'NaN',
  '-0',
  '{"__proto__":{"polluted":true}}',
  '\\"',
  'a\r\nb',
  '😀👍🏽',
];

/** One code point per unit: zod counts string lengths in code points, so a unit count is a length. */
const codePoint = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: fc.constantFrom(...STRESS_CHARS), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 },
);

function codePoints(s: string): number {
  return [...s].length;
}

/** Text of `min`..`max` code points: mostly short, sometimes a stress value, sometimes exactly `max`. */
function text(min: number, max: number): fc.Arbitrary<string> {
  const upper = Math.min(max, min + EXTRA_CHARS);
  const arms: fc.WeightedArbitrary<string>[] = [
    { arbitrary: fc.array(codePoint, { minLength: min, maxLength: upper }).map((cs) => cs.join('')), weight: 8 },
  ];
  const stress = STRESS_STRINGS.filter((s) => codePoints(s) >= min && codePoints(s) <= max);
  if (stress.length > 0) arms.push({ arbitrary: fc.constantFrom(...stress), weight: 1 });
  if (max > upper && max <= 1_000)
    arms.push({ arbitrary: fc.array(codePoint, { minLength: max, maxLength: max }).map((cs) => cs.join('')), weight: 1 });
  return fc.oneof(...arms);
}

function stringArbitrary(def: Def, ctx: Ctx): fc.Arbitrary<string> {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  let prefix = '';
  let suffix = '';
  let infix = '';
  let casing: 'lower' | 'upper' | undefined;
  const formats: CheckDef[] = [];
  for (const c of checksOf(def)) {
    if (c.check === 'min_length') min = Math.max(min, c.minimum!);
    else if (c.check === 'max_length') max = Math.min(max, c.maximum!);
    else if (c.check === 'length_equals') [min, max] = [c.length!, c.length!];
    else if (c.format === 'starts_with') prefix = c.prefix!;
    else if (c.format === 'ends_with') suffix = c.suffix!;
    else if (c.format === 'includes') infix += c.includes!;
    else if (c.format === 'lowercase' || c.format === 'uppercase') casing = c.format === 'lowercase' ? 'lower' : 'upper';
    else if (c.check === 'string_format') formats.push(c);
  }
  if (formats[0]) return formatArbitrary(formats[0], max, ctx);
  const fixed = codePoints(prefix + infix + suffix);
  return text(Math.max(0, min - fixed), Math.max(0, max - fixed)).map((body) => {
    const cased = casing === 'lower' ? body.toLowerCase() : casing === 'upper' ? body.toUpperCase() : body;
    return prefix + infix + cased + suffix;
  });
}

const URL_SCHEMES = ['https', 'http', 'wss', 'ws', 'ftp'];

function formatArbitrary(c: CheckDef, max: number, ctx: Ctx): fc.Arbitrary<string> {
  const maxLength = Number.isFinite(max) ? max : undefined;
  switch (c.format) {
    case 'email':
      return c.pattern?.source === z.regexes.email.source ? emailAddress : matching(c.pattern!, maxLength, ctx);
    case 'url': {
      const schemes = c.protocol ? URL_SCHEMES.filter((s) => new RegExp(c.protocol!.source, c.protocol!.flags).test(s)) : ['https', 'http'];
      if (schemes.length === 0) throw unsupported(`a z.url() protocol ${c.protocol} outside ${URL_SCHEMES.join('/')}`, ctx);
      return fc.webUrl({ validSchemes: schemes, withQueryParameters: true, withFragments: true, size: 'small' });
    }
    case 'base64':
      return fc.base64String({ maxLength: Math.min(maxLength ?? 64, 64) });
    case 'base64url':
      return fc.base64String({ maxLength: Math.min(maxLength ?? 64, 64) }).map(toBase64url);
    case 'jwt':
      return jwt(c.alg);
    case 'emoji':
      return fc.array(fc.constantFrom('😀', '🎉', '👍', '🚀', '🇫🇷'), { minLength: 1, maxLength: 3 }).map((cs) => cs.join(''));
    case 'duration':
      return fc.tuple(fc.nat(400), fc.nat(23), fc.nat(59)).map(([d, h, m]) => `P${d}DT${h}H${m}M`);
    case 'hostname':
      return fc.domain();
    default:
      if (c.pattern) return matching(c.pattern, maxLength, ctx);
      throw unsupported(`string format '${c.format}'`, ctx);
  }
}

function matching(pattern: RegExp, maxLength: number | undefined, ctx: Ctx): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(pattern, maxLength === undefined ? { size: 'small' } : { size: 'small', maxLength });
  } catch (error) {
    throw unsupported(`the pattern ${pattern} (${(error as Error).message})`, ctx);
  }
}

/**
 * Addresses matching zod's email pattern by construction: dot-separated atoms of `[A-Za-z0-9_'+-]`
 * (the last not ending in `'`), then labels and a letters-only TLD. fc.emailAddress() allows
 * characters zod rejects.
 */
const emailAddress = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.array(fc.stringMatching(/^[A-Za-z0-9_'+-]{0,6}[A-Za-z0-9_+-]$/), { minLength: 1, maxLength: 3 }),
        fc.array(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,9}$/), { minLength: 1, maxLength: 3 }),
        fc.stringMatching(/^[A-Za-z]{2,6}$/),
      )
      .map(([local, labels, tld]) => `${local.join('.')}@${labels.join('.')}.${tld}`),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom('user@example.com', "o'brien+tag@mail.example.co.uk", 'UPPER.Case@EXAMPLE.ORG', '__proto__@example.com'),
    weight: 1,
  },
);

function toBase64url(base64: string): string {
  return base64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function jwt(alg = 'HS256'): fc.Arbitrary<string> {
  const header = toBase64url(Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64'));
  return fc
    .tuple(
      fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      fc.base64String({ minLength: 4, maxLength: 44 }),
    )
    .map(
      ([claims, signature]) => `${header}.${toBase64url(Buffer.from(JSON.stringify(claims)).toString('base64'))}.${toBase64url(signature)}`,
    );
}

// ---------------------------------------------------------------------------------------------
// Numbers, bigints, dates

const INT_FORMATS: Record<string, [number, number]> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};
const FLOAT_FORMATS: Record<string, [number, number]> = {
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

interface Bounds<T> {
  lo?: T;
  hi?: T;
  loExclusive: boolean;
  hiExclusive: boolean;
  step?: T;
  format?: string;
}

/** Collects greater_than / less_than / multiple_of / *_format checks, keeping the tightest bounds. */
function boundsOf<T extends number | bigint>(def: Def, toValue: (v: unknown) => T): Bounds<T> {
  const b: Bounds<T> = { loExclusive: false, hiExclusive: false };
  for (const c of checksOf(def)) {
    const v = c.value === undefined ? undefined : toValue(c.value);
    if (c.check === 'greater_than' && v !== undefined && (b.lo === undefined || v > b.lo || (v === b.lo && !c.inclusive))) {
      [b.lo, b.loExclusive] = [v, !c.inclusive];
    } else if (c.check === 'less_than' && v !== undefined && (b.hi === undefined || v < b.hi || (v === b.hi && !c.inclusive))) {
      [b.hi, b.hiExclusive] = [v, !c.inclusive];
    } else if (c.check === 'multiple_of') b.step = v;
    else if (c.check === 'number_format' || c.check === 'bigint_format') b.format = c.format;
  }
  return b;
}

function numberArbitrary(def: Def): fc.Arbitrary<number> {
  const b = boundsOf(def, Number);
  const [fmin, fmax] = INT_FORMATS[b.format ?? ''] ?? FLOAT_FORMATS[b.format ?? ''] ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const lo = Math.max(b.lo ?? fmin, fmin);
  const hi = Math.min(b.hi ?? fmax, fmax);
  const loEx = b.lo !== undefined && b.lo >= fmin && b.loExclusive;
  const hiEx = b.hi !== undefined && b.hi <= fmax && b.hiExclusive;
  const ilo = Math.max(loEx ? Math.floor(lo) + 1 : Math.ceil(lo), Number.MIN_SAFE_INTEGER);
  const ihi = Math.min(hiEx ? Math.ceil(hi) - 1 : Math.floor(hi), Number.MAX_SAFE_INTEGER);
  if (b.step) {
    const step = Math.abs(b.step);
    const k = (n: number) => Math.max(Math.min(n, Number.MAX_SAFE_INTEGER), Number.MIN_SAFE_INTEGER);
    return fc.integer({ min: k(Math.ceil(ilo / step)), max: k(Math.floor(ihi / step)) }).map((n) => n * step);
  }
  const integers = () => fc.integer({ min: ilo, max: ihi });
  if (b.format && b.format in INT_FORMATS) return integers();
  const doubles = fc.double({
    ...(Number.isFinite(lo) ? { min: lo, minExcluded: loEx } : {}),
    ...(Number.isFinite(hi) ? { max: hi, maxExcluded: hiEx } : {}),
    noNaN: true,
    noDefaultInfinity: true,
  });
  // Whole numbers read better in failures and hit integer-only code paths; include them when the range has any.
  return ilo <= ihi ? fc.oneof(integers(), doubles) : doubles;
}

function bigintArbitrary(def: Def): fc.Arbitrary<bigint> {
  const b = boundsOf(def, (v) => BigInt(v as bigint));
  const lo = b.format === 'int64' ? -(2n ** 63n) : b.format === 'uint64' ? 0n : undefined;
  const hi = b.format === 'int64' ? 2n ** 63n - 1n : b.format === 'uint64' ? TWO_64 - 1n : undefined;
  const min = max2(lo, b.lo === undefined ? undefined : b.lo + (b.loExclusive ? 1n : 0n));
  const max = min2(hi, b.hi === undefined ? undefined : b.hi - (b.hiExclusive ? 1n : 0n));
  let values: fc.Arbitrary<bigint>;
  if (min === undefined && max === undefined) {
    // fc.bigInt() favours small values; make sure values past 64 bits (what a naive Number or int64 would mangle) appear.
    const huge = fc.tuple(fc.boolean(), fc.bigInt({ min: TWO_64 + 1n, max: 2n ** 200n })).map(([negative, v]) => (negative ? -v : v));
    values = fc.oneof({ arbitrary: fc.bigInt({ min: -TWO_64, max: TWO_64 }), weight: 3 }, { arbitrary: huge, weight: 1 });
  } else {
    values = fc.bigInt({ min: min ?? max! - 2n ** 128n, max: max ?? min! + 2n ** 128n });
  }
  if (!b.step) return values;
  const step = b.step < 0n ? -b.step : b.step;
  return values
    .map((v) => v - (((v % step) + step) % step))
    .filter((v) => (min === undefined || v >= min) && (max === undefined || v <= max));
}

function max2(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  return a === undefined ? b : b === undefined ? a : a > b ? a : b;
}

function min2(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  return a === undefined ? b : b === undefined ? a : a < b ? a : b;
}

function dateArbitrary(def: Def): fc.Arbitrary<Date> {
  const b = boundsOf(def, (v) => (v instanceof Date ? v.getTime() : Number(v)));
  const lo = b.lo === undefined ? undefined : b.lo + (b.loExclusive ? 1 : 0);
  const hi = b.hi === undefined ? undefined : b.hi - (b.hiExclusive ? 1 : 0);
  let min = Math.max(lo ?? SANE_DATES.min, SANE_DATES.min);
  let max = Math.min(hi ?? SANE_DATES.max, SANE_DATES.max);
  // Bounds outside the sane range win over it; keep a century of room next to a one-sided bound.
  if (min > max) [min, max] = [lo ?? Math.max(hi! - CENTURY_MS, -8.64e15), hi ?? Math.min(lo! + CENTURY_MS, 8.64e15)];
  return fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true });
}
