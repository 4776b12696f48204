import type { JsonSchema } from '../contract/json-schema.ts';
import { ANNOTATIONS } from './keywords.ts';

/** A schema as JSON Schema allows it: an object, or `true` (anything) / `false` (nothing). */
export type Schema = JsonSchema | boolean;

/** The schema a node stands for, or why it could not be found. */
export type Resolved = { schema: Schema } | { error: string };

// Merged `$ref` + sibling nodes are built once per node, so the cycle guard (which keys on object
// identity) sees the same object each time a recursive schema comes round again.
const merged = new WeakMap<object, JsonSchema>();

/**
 * Follows `$ref`s local to `root` (`#`, `#/$defs/name`, any `#/json/pointer`) until a schema
 * without one; sibling annotations and `default` are kept. Remote and anchor refs are not
 * supported and come back as an error.
 *
 * @example
 * resolveRef({ $ref: '#/$defs/Tree' }, document); // { schema: document.$defs.Tree }
 */
export function resolveRef(node: unknown, root: JsonSchema): Resolved {
  let current = node;
  for (let hops = 0; hops < 32; hops++) {
    if (typeof current === 'boolean') return { schema: current };
    if (!isObject(current)) return { error: `not a schema: ${JSON.stringify(current)}` };
    const ref = current.$ref;
    if (ref === undefined) return { schema: current };
    if (typeof ref !== 'string') return { error: '$ref is not a string' };
    const target = pointer(root, ref);
    if (target === undefined) return { error: `$ref '${ref}' could not be resolved` };
    current = withSiblings(current, target);
  }
  return { error: '$ref chain too long' };
}

function withSiblings(node: JsonSchema, target: unknown): unknown {
  const { $ref: _ref, ...rest } = node;
  if (Object.keys(rest).length === 0 || target === false) return target;
  const cached = merged.get(node);
  if (cached) return cached;
  // Validation keywords next to a $ref apply together with the target (an intersection); keep
  // that as `allOf`, which the comparers treat as opaque rather than guess.
  const constraining = Object.keys(rest).some((key) => !ANNOTATIONS.has(key) && key !== 'default');
  const result = constraining ? { allOf: [target, rest] } : isObject(target) ? { ...target, ...rest } : rest;
  merged.set(node, result);
  return result;
}

function pointer(root: JsonSchema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const fragment = decodeURIComponent(ref.slice(1));
  if (fragment === '') return root;
  if (!fragment.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of fragment.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/**
 * Whether `value` is a plain JSON object (not an array or null).
 *
 * @example
 * isObject({ type: 'string' }); // true
 */
export function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
