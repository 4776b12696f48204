import type { JsonSchema } from '../contract/json-schema.ts';
import { ANNOTATIONS, SCHEMA_ARRAY_KEYWORDS, SCHEMA_KEYWORDS, SCHEMA_MAP_KEYWORDS } from './keywords.ts';
import { isObject, resolveRef } from './resolve-ref.ts';

interface State {
  beforeRoot: JsonSchema;
  afterRoot: JsonSchema;
  assumed: Map<object, Set<object>>;
}

/**
 * Whether two schemas describe the same values, read structurally: `$ref`s are followed in their
 * own document (so an unchanged `$ref` to a changed `$defs` entry is a difference), annotations
 * are ignored, `default` counts, and a ref that does not resolve is never the same as anything.
 * Recursive schemas are equal when no difference is ever found.
 *
 * @example
 * sameSchema({ type: 'string', description: 'a' }, { type: 'string' }, before, after); // true
 */
export function sameSchema(before: unknown, after: unknown, beforeRoot: JsonSchema, afterRoot: JsonSchema): boolean {
  return same(before, after, { beforeRoot, afterRoot, assumed: new Map() });
}

function same(before: unknown, after: unknown, state: State): boolean {
  const b = resolveRef(before, state.beforeRoot);
  const a = resolveRef(after, state.afterRoot);
  // What an unresolvable ref stands for is unknown, so it is never known to be unchanged.
  if ('error' in b || 'error' in a) return false;
  const sb = b.schema === true ? {} : b.schema;
  const sa = a.schema === true ? {} : a.schema;
  if (sb === false || sa === false) return sb === sa;
  if (sb === sa) return true;
  const seen = state.assumed.get(sb) ?? new Set<object>();
  if (seen.has(sa)) return true;
  state.assumed.set(sb, seen.add(sa));
  const keys = new Set([...Object.keys(sb), ...Object.keys(sa)]);
  for (const key of keys) {
    if (ANNOTATIONS.has(key)) continue;
    const bv = sb[key];
    const av = sa[key];
    if (bv === undefined || av === undefined) {
      if (bv !== av) return false;
    } else if (SCHEMA_KEYWORDS.has(key)) {
      if (!same(bv, av, state)) return false;
    } else if (SCHEMA_ARRAY_KEYWORDS.has(key)) {
      if (!Array.isArray(bv) || !Array.isArray(av) || bv.length !== av.length) return deepEqual(bv, av);
      if (!bv.every((item, i) => same(item, av[i], state))) return false;
    } else if (SCHEMA_MAP_KEYWORDS.has(key)) {
      if (!isObject(bv) || !isObject(av)) return deepEqual(bv, av);
      if (!deepEqual(Object.keys(bv).sort(), Object.keys(av).sort())) return false;
      if (!Object.keys(bv).every((name) => same(bv[name], av[name], state))) return false;
    } else if (!deepEqual(bv, av)) {
      return false;
    }
  }
  return true;
}

/**
 * Structural equality of JSON values (key order does not matter).
 *
 * @example
 * deepEqual({ a: [1, 2] }, { a: [1, 2] }); // true
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}
