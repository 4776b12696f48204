import type { JsonSchema } from '../contract/json-schema.ts';
import { deepEqual } from './same-schema.ts';

/**
 * Which side of the wire a schema sits on. `accepts` is a task input: jobs queued under the old
 * schema must still parse, so the new schema has to accept everything the old one did.
 * `produces` is a task output or progress, judged from the caller's side: a client built from the
 * old schema must understand everything the new one can return.
 */
export type Direction = 'accepts' | 'produces';

/** What a {@link Change} is about; a closed set so a CI report can group or filter by it. */
export type ChangeKind =
  | 'type'
  | 'wire-type'
  | 'union-member'
  | 'enum'
  | 'field-added'
  | 'field-removed'
  | 'field-required'
  | 'field-optional'
  | 'extra-keys'
  | 'minLength'
  | 'maxLength'
  | 'pattern'
  | 'format'
  | 'format-options'
  | 'url-protocol'
  | 'url-hostname'
  | 'minimum'
  | 'maximum'
  | 'multipleOf'
  | 'minItems'
  | 'maxItems'
  | 'uniqueItems'
  | 'tuple'
  | 'minProperties'
  | 'maxProperties'
  | 'default'
  | 'catch'
  | 'coerce'
  | 'exclusive-union'
  | 'unproven';

/**
 * One difference between two versions of a schema.
 *
 * @example
 * { path: 'cc', kind: 'field-required', breaking: true, message: "field 'cc' became required" }
 */
export interface Change {
  /** Where in the value, e.g. `to`, `items[].name`, `meta.tags{}`; `''` is the value itself. */
  path: string;
  kind: ChangeKind;
  /** Whether the change breaks the {@link Direction} it was judged for. */
  breaking: boolean;
  message: string;
}

/**
 * How a change moves the set of values a schema describes: `widened` (more values), `narrowed`
 * (fewer), `changed` (some gained and some lost) or `neutral` (the same values, e.g. a default).
 */
export type Effect = 'widened' | 'narrowed' | 'changed' | 'neutral';

/**
 * The state of one {@link compareSchemas} run, threaded through the per-keyword comparers.
 * `recurse` compares two child schemas; it is injected so the comparers need not import it.
 */
export interface Comparison {
  readonly direction: Direction;
  readonly beforeRoot: JsonSchema;
  readonly afterRoot: JsonSchema;
  readonly changes: Change[];
  /** Pairs of (before, after) nodes being compared right now; meeting one again is a cycle. */
  readonly active: Map<object, Set<object>>;
  readonly depth: { current: number };
  recurse(cmp: Comparison, before: unknown, after: unknown, path: string): void;
}

/**
 * Whether a change with `effect` breaks `direction`: an input may widen but not narrow, an
 * output may narrow but not widen, and a change that does both breaks either.
 *
 * @example
 * isBreaking('narrowed', 'accepts'); // true
 */
export function isBreaking(effect: Effect, direction: Direction): boolean {
  if (effect === 'changed') return true;
  if (effect === 'neutral') return false;
  return direction === 'accepts' ? effect === 'narrowed' : effect === 'widened';
}

/**
 * How a conjunction of constraints (all must hold) moved: `implies(a, b)` says that whatever
 * meets `a` meets `b`. A new constraint implied by an old one adds nothing; an old one implied by
 * the new ones is kept. `undefined`: the same constraints.
 *
 * @example
 * conjunctionEffect([10], [5], (a, b) => a % b === 0); // 'widened' (multiples of 10 are multiples of 5)
 */
export function conjunctionEffect<T>(before: T[], after: T[], implies: (a: T, b: T) => boolean): Effect | undefined {
  if (deepEqual([...before].sort(), [...after].sort())) return undefined;
  const kept = after.every((a) => before.some((b) => implies(b, a)));
  const lost = before.every((b) => after.some((a) => implies(a, b)));
  if (kept && lost) return 'neutral';
  return kept ? 'widened' : lost ? 'narrowed' : 'changed';
}

/**
 * Records a change; `verdict` is either an {@link Effect} (judged per direction) or an explicit
 * breaking flag for rules that depend on more than the set of values (object keys, see compare-object.ts).
 *
 * @example
 * report(cmp, 'subject', 'minLength', 'narrowed', 'minLength raised from 1 to 3');
 */
export function report(cmp: Comparison, path: string, kind: ChangeKind, verdict: Effect | boolean, message: string): void {
  const breaking = typeof verdict === 'boolean' ? verdict : isBreaking(verdict, cmp.direction);
  cmp.changes.push({ path, kind, breaking, message });
}

/**
 * Reports something the engine cannot reason about; conservative, so always breaking.
 *
 * @example
 * unproven(cmp, 'meta', "keyword 'contains' changed");
 */
export function unproven(cmp: Comparison, path: string, what: string): void {
  report(cmp, path, 'unproven', true, `${what}; could not be proven compatible`);
}

/**
 * A value as it reads in a message: strings single-quoted, everything else as JSON, long text cut.
 *
 * @example
 * showValue('admin'); // "'admin'"
 */
export function showValue(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
