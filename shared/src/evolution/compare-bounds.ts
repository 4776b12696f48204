import type { JsonSchema } from '../contract/json-schema.ts';
import { type ChangeKind, type Comparison, conjunctionEffect, type Effect, report } from './change.ts';
import { isObject } from './resolve-ref.ts';

type MinKeyword = Extract<ChangeKind, 'minLength' | 'minItems' | 'minProperties'>;
type MaxKeyword = Extract<ChangeKind, 'maxLength' | 'maxItems' | 'maxProperties'>;

/**
 * Compares a lower limit on a count (`minLength`, `minItems`, `minProperties`): raising it
 * narrows, lowering it widens. An absent limit is 0.
 *
 * @example
 * compareMinCount(cmp, 'subject', 'minLength', 1, 3); // "minLength raised from 1 to 3", narrowed
 */
export function compareMinCount(cmp: Comparison, path: string, keyword: MinKeyword, before: unknown, after: unknown): void {
  const b = typeof before === 'number' ? before : undefined;
  const a = typeof after === 'number' ? after : undefined;
  if ((b ?? 0) === (a ?? 0)) return;
  const effect: Effect = (a ?? 0) > (b ?? 0) ? 'narrowed' : 'widened';
  report(cmp, path, keyword, effect, limitMessage(keyword, b, a, effect === 'narrowed' ? 'raised' : 'lowered'));
}

/**
 * Compares an upper limit on a count (`maxLength`, `maxItems`, `maxProperties`): lowering it
 * narrows, raising it widens. An absent limit is no limit.
 *
 * @example
 * compareMaxCount(cmp, 'cc', 'maxItems', 50, 10); // "maxItems lowered from 50 to 10", narrowed
 */
export function compareMaxCount(cmp: Comparison, path: string, keyword: MaxKeyword, before: unknown, after: unknown): void {
  const b = typeof before === 'number' ? before : Number.POSITIVE_INFINITY;
  const a = typeof after === 'number' ? after : Number.POSITIVE_INFINITY;
  if (a === b) return;
  const effect: Effect = a < b ? 'narrowed' : 'widened';
  report(cmp, path, keyword, effect, limitMessage(keyword, finite(b), finite(a), effect === 'narrowed' ? 'lowered' : 'raised'));
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

function limitMessage(keyword: string, before: number | undefined, after: number | undefined, verb: string): string {
  if (before === undefined) return `${keyword} ${after} added`;
  if (after === undefined) return `${keyword} ${before} removed`;
  return `${keyword} ${verb} from ${before} to ${after}`;
}

interface Bound {
  value: number;
  exclusive: boolean;
}

/**
 * Compares numeric constraints: the lower bound (`minimum`/`exclusiveMinimum`), the upper bound
 * and `multipleOf`. `integers` says, per side, whether the values are integers: then `> 0` and
 * `>= 1` are the same bound, and zod's implicit safe-integer range (`z.int()`) is no bound at all.
 *
 * @example
 * compareNumber(cmp, 'attempts', { minimum: 1 }, { minimum: 2 }, [true, true]); // "minimum raised from 1 to 2", narrowed
 */
export function compareNumber(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema, integers: [boolean, boolean]): void {
  const [bInt, aInt] = integers;
  const steps = bInt && aInt;
  compareBound(cmp, path, 'minimum', lowerBound(before, bInt, steps), lowerBound(after, aInt, steps));
  compareBound(cmp, path, 'maximum', upperBound(before, bInt, steps), upperBound(after, aInt, steps));
  compareMultipleOf(cmp, path, divisorsOf(before), divisorsOf(after));
}

function lowerBound(schema: JsonSchema, integer: boolean, steps: boolean): Bound | undefined {
  const bound = tightest(schema.minimum, schema.exclusiveMinimum, (x, y) => x > y);
  if (!bound || (integer && bound.value === Number.MIN_SAFE_INTEGER && !bound.exclusive)) return undefined;
  if (!steps) return bound;
  return { value: bound.exclusive ? Math.floor(bound.value) + 1 : Math.ceil(bound.value), exclusive: false };
}

function upperBound(schema: JsonSchema, integer: boolean, steps: boolean): Bound | undefined {
  const bound = tightest(schema.maximum, schema.exclusiveMaximum, (x, y) => x < y);
  if (!bound || (integer && bound.value === Number.MAX_SAFE_INTEGER && !bound.exclusive)) return undefined;
  if (!steps) return bound;
  return { value: bound.exclusive ? Math.ceil(bound.value) - 1 : Math.floor(bound.value), exclusive: false };
}

// Draft 2020-12 makes exclusiveMinimum a number; draft 4 a boolean qualifying `minimum`.
function tightest(inclusive: unknown, exclusive: unknown, stricter: (x: number, y: number) => boolean): Bound | undefined {
  const bounds: Bound[] = [];
  if (typeof inclusive === 'number') bounds.push({ value: inclusive, exclusive: exclusive === true });
  if (typeof exclusive === 'number') bounds.push({ value: exclusive, exclusive: true });
  return bounds.reduce<Bound | undefined>(
    (best, bound) =>
      !best || stricter(bound.value, best.value) || (bound.value === best.value && bound.exclusive && !best.exclusive) ? bound : best,
    undefined,
  );
}

function compareBound(
  cmp: Comparison,
  path: string,
  side: 'minimum' | 'maximum',
  before: Bound | undefined,
  after: Bound | undefined,
): void {
  const name = (bound: Bound) => (bound.exclusive ? `exclusive${side[0]?.toUpperCase()}${side.slice(1)}` : side);
  if (!before || !after) {
    if (after) report(cmp, path, side, 'narrowed', `${name(after)} ${after.value} added`);
    if (before) report(cmp, path, side, 'widened', `${name(before)} ${before.value} removed`);
    return;
  }
  if (before.value === after.value && before.exclusive === after.exclusive) return;
  // For a minimum, a bigger value (or the same value made exclusive) admits fewer numbers.
  const sign = side === 'minimum' ? 1 : -1;
  const tighter = sign * (after.value - before.value) > 0 || (after.value === before.value && after.exclusive);
  const verb = (side === 'minimum') === tighter ? 'raised' : 'lowered';
  const symbol = (bound: Bound) => `${side === 'minimum' ? '>' : '<'}${bound.exclusive ? '' : '='} ${bound.value}`;
  const message =
    before.exclusive === after.exclusive
      ? `${name(after)} ${verb} from ${before.value} to ${after.value}`
      : `${side === 'minimum' ? 'lower' : 'upper'} bound ${verb} from ${symbol(before)} to ${symbol(after)}`;
  report(cmp, path, side, tighter ? 'narrowed' : 'widened', message);
}

function compareMultipleOf(cmp: Comparison, path: string, before: number[], after: number[]): void {
  // Multiples of 10 are all multiples of 5: a step is implied by any step it divides.
  const effect = conjunctionEffect(before, after, (a, b) => isWhole(a / b));
  if (effect === undefined) return;
  const list = (steps: number[]) => steps.join(' and ');
  const message =
    before.length === 0
      ? `multipleOf ${list(after)} added`
      : after.length === 0
        ? `multipleOf ${list(before)} removed`
        : `multipleOf changed from ${list(before)} to ${list(after)}`;
  report(cmp, path, 'multipleOf', effect, message);
}

/**
 * Every step a number must be a multiple of: `multipleOf`, and each `allOf` member that is only
 * one (what zod writes for a second `.multipleOf()`).
 *
 * @example
 * divisorsOf({ multipleOf: 2, allOf: [{ multipleOf: 3 }] }); // [2, 3]
 */
export function divisorsOf(schema: JsonSchema): number[] {
  const members = Array.isArray(schema.allOf) ? schema.allOf.filter(isDivisorOnly).map((member) => member.multipleOf as number) : [];
  return [schema.multipleOf, ...members].filter((step): step is number => typeof step === 'number' && step > 0);
}

/**
 * Whether an `allOf` member only adds a `multipleOf`.
 *
 * @example
 * isDivisorOnly({ multipleOf: 3 }); // true
 */
export function isDivisorOnly(member: unknown): member is JsonSchema {
  return isObject(member) && typeof member.multipleOf === 'number' && Object.keys(member).length === 1;
}

function isWhole(n: number): boolean {
  return Math.abs(n - Math.round(n)) < 1e-9;
}
