import type { JsonSchema } from '../contract/json-schema.ts';
import { type Comparison, report, showValue } from './change.ts';
import { divisorsOf, isDivisorOnly } from './compare-bounds.ts';
import { isPatternOnly, patternsOf } from './compare-string.ts';
import { bigintOf } from './compare-wire.ts';
import { ANNOTATIONS } from './keywords.ts';
import type { Variant } from './variants.ts';

// Keywords that say which values a variant holds rather than constrain them further.
const SHAPE = new Set(['type', 'enum', 'const', 'x-wire', 'default', 'nullable']);
// Formats whose zod check is exactly their pattern; others (uri, ipv6, base64, jwt, …) run code too.
const CODE_FORMATS = new Set(['uri', 'ipv6', 'cidrv6', 'base64', 'base64url', 'credit_card', 'iban', 'jwt', 'binary']);

/**
 * Judges a change between a variant restricted to a finite list of values (an enum, literals)
 * and one that is not, by testing each listed value against the other side's constraints, as zod
 * would: `z.enum(['member', 'admin'])` → `z.string().min(1)` widens, since both old values still
 * parse. Returns `false` when neither or both sides list values (nothing judged here).
 *
 * @example
 * compareFinite(cmp, 'role', enumVariant, minLengthVariant); // "no longer restricted to 'member'|'admin' …", widened
 */
export function compareFinite(cmp: Comparison, path: string, before: Variant, after: Variant): boolean {
  if ((before.values === undefined) === (after.values === undefined)) return false;
  const listed = before.values !== undefined;
  const values = (listed ? before.values : after.values) ?? [];
  const other = listed ? after : before;
  const failing = values.filter((value) => satisfies(value, other) !== true);
  const list = values.map(showValue).join('|');
  const shown = failing.map(showValue).join(', ');
  if (listed) {
    if (failing.length === 0)
      report(cmp, path, 'enum', 'widened', `no longer restricted to ${list} (each of them meets the new constraints)`);
    else report(cmp, path, 'enum', 'changed', `no longer restricted to ${list}, and ${shown} does not meet the new constraints`);
  } else if (failing.length === 0) report(cmp, path, 'enum', 'narrowed', `restricted to ${list} (each of them met the old constraints)`);
  else report(cmp, path, 'enum', 'changed', `restricted to ${list}, and ${shown} did not meet the old constraints`);
  return true;
}

/**
 * Whether `value` parses under a variant's constraints: `true`, `false`, or `undefined` when a
 * keyword cannot be evaluated here (then the value is not known to parse).
 *
 * @example
 * satisfies('admin', { kind: 'string', schema: { type: 'string', minLength: 1 }, values: undefined }); // true
 */
export function satisfies(value: unknown, variant: Variant): boolean | undefined {
  const schema = variant.schema;
  if (variant.values !== undefined) return variant.values.some((v) => v === value);
  const keys = Object.keys(schema).filter((key) => !SHAPE.has(key) && !ANNOTATIONS.has(key));
  switch (variant.kind) {
    case 'string':
      return typeof value === 'string' ? all(keys, (key) => stringKeyword(value, key, schema)) : false;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || (variant.kind === 'integer' && !Number.isInteger(value))) return false;
      return all(keys, (key) => numberKeyword(value, key, schema));
    case 'bigint': {
      const n = bigintOf(value);
      return n === undefined ? false : all(keys, (key) => bigintKeyword(n, key, schema));
    }
    case 'boolean':
      return typeof value === 'boolean' ? all(keys, () => undefined) : false;
    default:
      return undefined;
  }
}

function all(keys: string[], check: (key: string) => boolean | undefined): boolean | undefined {
  let result: boolean | undefined = true;
  for (const key of keys) {
    const ok = check(key);
    if (ok === false) return false;
    if (ok === undefined) result = undefined;
  }
  return result;
}

function stringKeyword(value: string, key: string, schema: JsonSchema): boolean | undefined {
  // zod counts UTF-16 code units (`string.length`), as this does.
  if (key === 'minLength') return typeof schema.minLength === 'number' ? value.length >= schema.minLength : undefined;
  if (key === 'maxLength') return typeof schema.maxLength === 'number' ? value.length <= schema.maxLength : undefined;
  if (key === 'pattern' || key === 'allOf') {
    if (key === 'allOf' && !(Array.isArray(schema.allOf) && schema.allOf.every(isPatternOnly))) return undefined;
    return all(patternsOf(schema), (pattern) => test(pattern, value));
  }
  // A format whose check is its pattern is decided by the pattern (tested above).
  if (key === 'format')
    return typeof schema.format === 'string' && !CODE_FORMATS.has(schema.format) && patternsOf(schema).length > 0 ? true : undefined;
  return undefined;
}

function numberKeyword(value: number, key: string, schema: JsonSchema): boolean | undefined {
  const bound = schema[key];
  if (key === 'multipleOf' || key === 'allOf') {
    if (key === 'allOf' && !(Array.isArray(schema.allOf) && schema.allOf.every(isDivisorOnly))) return undefined;
    return divisorsOf(schema).every((step) => Math.abs(value / step - Math.round(value / step)) < 1e-9);
  }
  if (typeof bound !== 'number') return undefined;
  if (key === 'minimum') return value >= bound;
  if (key === 'maximum') return value <= bound;
  if (key === 'exclusiveMinimum') return value > bound;
  if (key === 'exclusiveMaximum') return value < bound;
  return undefined;
}

function bigintKeyword(value: bigint, key: string, schema: JsonSchema): boolean | undefined {
  const bound = bigintOf(schema[key]);
  if (bound === undefined) return undefined;
  if (key === 'minimum') return value >= bound;
  if (key === 'maximum') return value <= bound;
  if (key === 'multipleOf') return bound !== 0n && value % bound === 0n;
  return undefined;
}

// Patterns lost their flags in the lock: zod's own regexes may need `u`, a user's ran without.
function test(pattern: string, value: string): boolean | undefined {
  for (const flags of ['', 'u']) {
    try {
      return new RegExp(pattern, flags).test(value);
    } catch {
      // try the next reading
    }
  }
  return undefined;
}
