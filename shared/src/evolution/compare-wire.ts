import type { JsonSchema } from '../contract/json-schema.ts';
import { type Comparison, conjunctionEffect, type Effect, report } from './change.ts';

/**
 * Reads a bigint the lock wrote as a decimal string (or a safe integer).
 *
 * @example
 * bigintOf('9007199254740993'); // 9007199254740993n
 */
export function bigintOf(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
}

function dateOf(value: unknown): bigint | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : BigInt(ms);
}

/**
 * Compares the bounds of two Dates (`formatMinimum`/`formatMaximum`, inclusive, ISO 8601).
 *
 * @example
 * compareDate(cmp, 'expiresAt', {}, { formatMinimum: '2030-01-01T00:00:00.000Z' }); // "minimum … added", narrowed
 */
export function compareDate(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  const show = (ms: bigint) => new Date(Number(ms)).toISOString();
  compareInclusive(cmp, path, 'minimum', dateOf(before.formatMinimum), dateOf(after.formatMinimum), show);
  compareInclusive(cmp, path, 'maximum', dateOf(before.formatMaximum), dateOf(after.formatMaximum), show);
}

/**
 * Compares the bounds (inclusive) and step of two bigints, exactly.
 *
 * @example
 * compareBigInt(cmp, 'bytes', { minimum: '0' }, { minimum: '1' }); // "minimum raised from 0 to 1", narrowed
 */
export function compareBigInt(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  compareInclusive(cmp, path, 'minimum', bigintOf(before.minimum), bigintOf(after.minimum), String);
  compareInclusive(cmp, path, 'maximum', bigintOf(before.maximum), bigintOf(after.maximum), String);
  const steps = (schema: JsonSchema) => [bigintOf(schema.multipleOf)].filter((step): step is bigint => step !== undefined && step > 0n);
  const b = steps(before);
  const a = steps(after);
  const effect = conjunctionEffect(b, a, (x, y) => x % y === 0n);
  if (effect === undefined) return;
  const message =
    b.length === 0
      ? `multipleOf ${a[0]} added`
      : a.length === 0
        ? `multipleOf ${b[0]} removed`
        : `multipleOf changed from ${b[0]} to ${a[0]}`;
  report(cmp, path, 'multipleOf', effect, message);
}

function compareInclusive(
  cmp: Comparison,
  path: string,
  side: 'minimum' | 'maximum',
  before: bigint | undefined,
  after: bigint | undefined,
  show: (value: bigint) => string,
): void {
  if (before === after) return;
  if (before === undefined || after === undefined) {
    const added = before === undefined;
    report(
      cmp,
      path,
      side,
      added ? 'narrowed' : 'widened',
      `${side} ${show((added ? after : before) as bigint)} ${added ? 'added' : 'removed'}`,
    );
    return;
  }
  const raised = after > before;
  // A higher minimum or a lower maximum admits fewer values.
  const effect: Effect = raised === (side === 'minimum') ? 'narrowed' : 'widened';
  report(cmp, path, side, effect, `${side} ${raised ? 'raised' : 'lowered'} from ${show(before)} to ${show(after)}`);
}
