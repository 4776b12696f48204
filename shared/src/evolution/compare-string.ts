import type { JsonSchema } from '../contract/json-schema.ts';
import { type ChangeKind, type Comparison, conjunctionEffect, report, showValue } from './change.ts';
import { compareMaxCount, compareMinCount } from './compare-bounds.ts';
import { patternCovers } from './regex-cover.ts';
import { isObject } from './resolve-ref.ts';
import { deepEqual } from './same-schema.ts';

/**
 * Formats that zod writes next to the pattern that does their whole check (`.startsWith()`,
 * `.lowercase()`, …): the pattern is compared, the name would only repeat it (and zod keeps the
 * last one written, so adding `.endsWith()` to `.startsWith()` renames the format).
 */
const PATTERN_FORMATS: ReadonlySet<string> = new Set(['starts_with', 'ends_with', 'includes', 'lowercase', 'uppercase']);

/**
 * Compares string constraints. Length limits are ordered. Patterns (with the patterns zod puts in
 * `allOf` when there are several) and a URL's `x-protocol`/`x-hostname` are each a conjunction of
 * regexes: a new one that an old one is proven to imply (see `patternCovers`) narrows nothing,
 * so loosening a bound, a class or an alternative widens, and a change that is not proven either
 * way does both. A format is compared by name; format options (`x-options`) by equality.
 *
 * @example
 * compareString(cmp, 'to', { type: 'string' }, { type: 'string', format: 'email' }); // "format 'email' added", narrowed
 */
export function compareString(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  compareMinCount(cmp, path, 'minLength', before.minLength, after.minLength);
  compareMaxCount(cmp, path, 'maxLength', before.maxLength, after.maxLength);
  compareFormat(cmp, path, formatOf(before), formatOf(after));
  comparePatterns(cmp, path, 'pattern', patternsOf(before), patternsOf(after));
  comparePatterns(cmp, path, 'url-protocol', listOf(before['x-protocol']), listOf(after['x-protocol']));
  comparePatterns(cmp, path, 'url-hostname', listOf(before['x-hostname']), listOf(after['x-hostname']));
  compareOptions(cmp, path, before['x-options'], after['x-options']);
}

function formatOf(schema: JsonSchema): unknown {
  return typeof schema.format === 'string' && PATTERN_FORMATS.has(schema.format) ? undefined : schema.format;
}

function compareFormat(cmp: Comparison, path: string, before: unknown, after: unknown): void {
  if (before === after) return;
  if (before === undefined) report(cmp, path, 'format', 'narrowed', `format ${showValue(after)} added`);
  else if (after === undefined) report(cmp, path, 'format', 'widened', `format ${showValue(before)} removed`);
  else report(cmp, path, 'format', 'changed', `format changed from ${showValue(before)} to ${showValue(after)}`);
}

/**
 * Every pattern a string must match: `pattern`, and each `allOf` member that is only a pattern.
 *
 * @example
 * patternsOf({ pattern: '^a', allOf: [{ pattern: 'b$' }] }); // ['^a', 'b$']
 */
export function patternsOf(schema: JsonSchema): string[] {
  const members = Array.isArray(schema.allOf) ? schema.allOf.filter(isPatternOnly).map((member) => member.pattern as string) : [];
  return [...listOf(schema.pattern), ...members];
}

/**
 * Whether an `allOf` member only adds a pattern (what zod writes for a second `.regex()`).
 *
 * @example
 * isPatternOnly({ type: 'string', pattern: 'b$' }); // true
 */
export function isPatternOnly(member: unknown): member is JsonSchema {
  return (
    isObject(member) &&
    typeof member.pattern === 'string' &&
    Object.keys(member).every((key) => key === 'pattern' || (key === 'type' && member.type === 'string'))
  );
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

type PatternKind = Extract<ChangeKind, 'pattern' | 'url-protocol' | 'url-hostname'>;
const LABEL: Record<PatternKind, string> = { pattern: 'pattern', 'url-protocol': 'URL protocol', 'url-hostname': 'URL hostname' };

function comparePatterns(cmp: Comparison, path: string, kind: PatternKind, before: string[], after: string[]): void {
  const effect = conjunctionEffect(before, after, (strict, loose) => patternCovers(loose, strict));
  if (effect === undefined) return;
  const label = LABEL[kind];
  const list = (patterns: string[]) => patterns.map(showValue).join(' and ');
  let message: string;
  if (before.length === 0) message = `${label} ${list(after)} added`;
  else if (after.length === 0) message = `${label} ${list(before)} removed`;
  else {
    const how = { widened: 'loosened', narrowed: 'tightened', changed: 'changed', neutral: 'rewritten' }[effect];
    const proof = effect === 'changed' ? ' (not proven wider or narrower)' : '';
    message = `${label} ${how} from ${list(before)} to ${list(after)}${proof}`;
  }
  report(cmp, path, kind, effect, message);
}

function compareOptions(cmp: Comparison, path: string, before: unknown, after: unknown): void {
  if (deepEqual(before ?? {}, after ?? {})) return;
  // `normalize` changes which URLs parse in both directions; an `alg` is a restriction of its own.
  report(cmp, path, 'format-options', 'changed', `format options changed from ${showValue(before ?? {})} to ${showValue(after ?? {})}`);
}
