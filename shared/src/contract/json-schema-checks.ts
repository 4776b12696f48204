import { z } from 'zod';
import type { JsonSchema } from './json-schema.ts';

/** The definition of a zod check (or of a format schema, which is its own check). */
interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  size?: number;
  format?: string;
  protocol?: RegExp;
  hostname?: RegExp;
  normalize?: boolean;
  alg?: string;
}

interface Internals {
  def: { checks?: { _zod: { def: CheckDef } }[] } & Partial<CheckDef>;
  traits: Set<string>;
}

function checksOf(schema: z.ZodType): CheckDef[] {
  const internals = (schema as unknown as { _zod: Internals })._zod;
  const own = internals.traits.has('$ZodCheck') ? [internals.def as CheckDef] : [];
  return [...own, ...(internals.def.checks ?? []).map((check) => check._zod.def)];
}

/** Inclusive integer bounds (dates in ms, bigints) and the step, folded from every check. */
interface IntegerBounds {
  minimum?: bigint;
  maximum?: bigint;
  multipleOf?: bigint;
}

function integerBounds(checks: CheckDef[], asInteger: (value: unknown) => bigint | undefined): IntegerBounds {
  const out: IntegerBounds = {};
  for (const check of checks) {
    if (check.check === 'bigint_format' && check.format) {
      const [min, max] = z.core.util.BIGINT_FORMAT_RANGES[check.format as 'int64'];
      out.minimum = out.minimum === undefined || min > out.minimum ? min : out.minimum;
      out.maximum = out.maximum === undefined || max < out.maximum ? max : out.maximum;
    }
    const value = asInteger(check.value);
    if (value === undefined) continue;
    // Integers step by one: `> n` is `>= n + 1`, so every bound is recorded inclusive.
    if (check.check === 'greater_than') {
      const min = check.inclusive ? value : value + 1n;
      if (out.minimum === undefined || min > out.minimum) out.minimum = min;
    } else if (check.check === 'less_than') {
      const max = check.inclusive ? value : value - 1n;
      if (out.maximum === undefined || max < out.maximum) out.maximum = max;
    } else if (check.check === 'multiple_of' && value !== 0n) {
      // Multiples of both a and b are the multiples of lcm(a, b): one step says it exactly.
      const step = value < 0n ? -value : value;
      out.multipleOf = out.multipleOf === undefined ? step : (out.multipleOf / gcd(out.multipleOf, step)) * step;
    }
  }
  return out;
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/**
 * The bounds of a `z.date()`, as `formatMinimum`/`formatMaximum` (ISO 8601, inclusive: a Date
 * counts in whole milliseconds, so an exclusive bound is the next millisecond).
 *
 * @example
 * dateKeywords(z.date().min(new Date('2030-01-01'))); // { formatMinimum: '2030-01-01T00:00:00.000Z' }
 */
export function dateKeywords(schema: z.ZodType): JsonSchema {
  const bounds = integerBounds(checksOf(schema), (value) =>
    value instanceof Date && !Number.isNaN(value.getTime()) ? BigInt(value.getTime()) : undefined,
  );
  const iso = (ms: bigint) => new Date(Number(ms)).toISOString();
  const out: JsonSchema = {};
  if (bounds.minimum !== undefined) out.formatMinimum = iso(bounds.minimum);
  if (bounds.maximum !== undefined) out.formatMaximum = iso(bounds.maximum);
  return out;
}

/**
 * The bounds and step of a `z.bigint()`, as decimal strings: exact past 2^53, and the form
 * superjson sends a bigint in.
 *
 * @example
 * bigintKeywords(z.bigint().positive().multipleOf(2n)); // { minimum: '1', multipleOf: '2' }
 */
export function bigintKeywords(schema: z.ZodType): JsonSchema {
  const bounds = integerBounds(checksOf(schema), (value) => (typeof value === 'bigint' ? value : undefined));
  return Object.fromEntries(Object.entries(bounds).map(([key, value]) => [key, String(value)]));
}

/**
 * The size limits of a `z.set()` or `z.map()`, as `minItems`/`maxItems` of the array of elements
 * (or entries) superjson sends.
 *
 * @example
 * sizeKeywords(z.set(z.string()).max(10)); // { maxItems: 10 }
 */
export function sizeKeywords(schema: z.ZodType): JsonSchema {
  const out: { minItems?: number; maxItems?: number } = {};
  for (const check of checksOf(schema)) {
    const min = check.check === 'min_size' ? check.minimum : check.check === 'size_equals' ? check.size : undefined;
    const max = check.check === 'max_size' ? check.maximum : check.check === 'size_equals' ? check.size : undefined;
    if (min !== undefined && (out.minItems === undefined || min > out.minItems)) out.minItems = min;
    if (max !== undefined && (out.maxItems === undefined || max < out.maxItems)) out.maxItems = max;
  }
  return out;
}

/**
 * What a string's format checks hold beyond JSON Schema's `format`: a URL's `protocol` and
 * `hostname` (regex sources, one per URL check), and options such as `normalize` or a JWT's `alg`.
 *
 * @example
 * formatKeywords(z.url({ protocol: /^https$/ })); // { 'x-protocol': '^https$' }
 */
export function formatKeywords(schema: z.ZodType): JsonSchema {
  const protocols: string[] = [];
  const hostnames: string[] = [];
  const options: Record<string, unknown> = {};
  for (const check of checksOf(schema)) {
    if (check.check !== 'string_format') continue;
    if (check.protocol instanceof RegExp) protocols.push(check.protocol.source);
    if (check.hostname instanceof RegExp) hostnames.push(check.hostname.source);
    if (check.format === 'url' && check.normalize) options.normalize = true;
    if (check.format === 'jwt' && check.alg) options.alg = check.alg;
  }
  const out: JsonSchema = {};
  if (protocols.length > 0) out['x-protocol'] = protocols.length === 1 ? protocols[0] : [...new Set(protocols)].sort();
  if (hostnames.length > 0) out['x-hostname'] = hostnames.length === 1 ? hostnames[0] : [...new Set(hostnames)].sort();
  if (Object.keys(options).length > 0) out['x-options'] = options;
  return out;
}

/**
 * A literal of bigints, recorded as one (`x-wire: 'bigint'`, values as decimal strings) rather
 * than as the numbers zod's converter turns them into, which would read like plain numbers.
 *
 * @example
 * bigintLiteralKeywords([5n]); // { type: 'integer', 'x-wire': 'bigint', const: '5' }
 */
export function bigintLiteralKeywords(values: readonly unknown[]): JsonSchema | undefined {
  if (values.length === 0 || !values.every((value) => typeof value === 'bigint')) return undefined;
  const text = values.map(String);
  return { type: 'integer', 'x-wire': 'bigint', ...(text.length === 1 ? { const: text[0] } : { enum: text }) };
}
