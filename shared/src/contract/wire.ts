import superjson from 'superjson';

/** superjson's wire form: JSON plus the annotations that restore Dates, bigints, Maps… */
export type WireValue = ReturnType<typeof superjson.serialize>;

type Leaf = 'Date' | 'bigint' | 'undefined';

/** Nesting beyond this is left to superjson (which also handles cycles its own way). */
const MAX_DEPTH = 100;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Thrown inside the fast walk when a value needs superjson's general handling. */
const FALLBACK = Symbol('fallback');

const escapeKey = (key: string) => (key.includes('\\') || key.includes('.') ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key);

/**
 * `superjson.serialize`, fast for the values jobs are made of: plain objects and arrays of
 * strings, finite numbers, booleans, null, Dates, bigints and undefined. superjson's generic walk
 * (every value checked against every transformer, every object recorded for identity) costs
 * ~5–14 µs per small object; this walk writes the same `{ json, meta: { values } }` in a fraction
 * of that. Anything else — Map, Set, RegExp, Error, URL, NaN, ±Infinity or -0, an invalid Date, class
 * instances, `__proto__`-like keys, very deep nesting — goes to superjson unchanged.
 *
 * The one difference: values used twice (the same object, or equal bigints) are written as
 * copies without superjson's `referentialEqualities`, which taskwire's readers ignore anyway.
 *
 * @example
 * serializeWire({ at: new Date(0) }); // { json: { at: '1970-01-01T00:00:00.000Z' }, meta: { values: { at: ['Date'] }, v: 1 } }
 */
export function serializeWire(value: unknown): WireValue {
  const values: Record<string, [Leaf]> = {};
  let annotated = false;
  let top: [Leaf] | undefined;
  const annotate = (path: string, depth: number, type: Leaf) => {
    annotated = true;
    if (depth === 0) top = [type];
    else values[path] = [type];
  };
  const walk = (node: unknown, path: string, depth: number): unknown => {
    switch (typeof node) {
      case 'string':
      case 'boolean':
        return node;
      case 'number':
        if (!Number.isFinite(node) || Object.is(node, -0)) throw FALLBACK;
        return node;
      case 'bigint':
        annotate(path, depth, 'bigint');
        return node.toString();
      case 'undefined':
        annotate(path, depth, 'undefined');
        return null;
      case 'object': {
        if (node === null) return null;
        if (depth > MAX_DEPTH) throw FALLBACK;
        if (Array.isArray(node)) {
          const out = new Array(node.length);
          const prefix = depth === 0 ? '' : `${path}.`;
          for (let i = 0; i < node.length; i += 1) out[i] = walk(node[i], `${prefix}${i}`, depth + 1);
          return out;
        }
        if (node instanceof Date) {
          const time = node.getTime();
          if (Number.isNaN(time)) throw FALLBACK;
          annotate(path, depth, 'Date');
          return node.toISOString();
        }
        const proto = Object.getPrototypeOf(node);
        if (proto !== Object.prototype && proto !== null) throw FALLBACK;
        const out: Record<string, unknown> = {};
        const prefix = depth === 0 ? '' : `${path}.`;
        for (const key of Object.keys(node)) {
          if (FORBIDDEN_KEYS.has(key)) throw FALLBACK;
          out[key] = walk((node as Record<string, unknown>)[key], `${prefix}${escapeKey(key)}`, depth + 1);
        }
        return out;
      }
      default:
        throw FALLBACK;
    }
  };
  let json: unknown;
  try {
    json = walk(value, '', 0);
  } catch (error) {
    if (error === FALLBACK) return superjson.serialize(value as Parameters<typeof superjson.serialize>[0]);
    throw error;
  }
  if (!annotated) return { json } as WireValue;
  // A top-level Date, bigint or undefined is annotated by the bare annotation, as superjson does.
  return { json, meta: { values: top ?? values, v: 1 } } as WireValue;
}

/**
 * `superjson.deserialize`, fast when every annotation is a Date, bigint or undefined at a plain
 * path; anything else goes to superjson. With `inPlace` (for a payload freshly parsed and not used
 * again) the payload itself is revived, which skips copying it; otherwise only the objects on the
 * annotated paths are copied, never the payload given.
 *
 * @example
 * deserializeWire(JSON.parse(text), { inPlace: true });
 */
export function deserializeWire(payload: WireValue, options: { inPlace?: boolean } = {}): unknown {
  const { json, meta } = payload;
  const values = meta?.values;
  if (values === undefined) return json;
  const inPlace = options.inPlace ?? false;
  if (values === null || typeof values !== 'object' || Array.isArray(values) || meta?.v !== 1) {
    return superjson.deserialize(payload, { inPlace });
  }
  const entries = Object.entries(values as Record<string, unknown>);
  for (const [path, annotation] of entries) {
    if (!isLeaf(annotation) || path.includes('\\')) return superjson.deserialize(payload, { inPlace });
  }
  // Copy-on-write: the containers on annotated paths are copied once each, the rest is shared.
  const copies = new Set<object>();
  const own = (node: unknown): unknown => {
    if (inPlace || node === null || typeof node !== 'object' || copies.has(node)) return node;
    const copy = Array.isArray(node) ? node.slice() : { ...(node as object) };
    copies.add(copy);
    return copy;
  };
  const root = own(json);
  for (const [path, annotation] of entries) {
    const type = (annotation as [Leaf])[0];
    const keys = path.split('.');
    let parent = root;
    for (let i = 0; i < keys.length - 1; i += 1) {
      const key = keys[i] as string;
      const next = own(child(parent, key));
      (parent as Record<string, unknown>)[key] = next;
      parent = next;
    }
    const last = keys[keys.length - 1] as string;
    const value = child(parent, last);
    (parent as Record<string, unknown>)[last] = revive(type, value);
  }
  return root;
}

function isLeaf(annotation: unknown): boolean {
  return (
    Array.isArray(annotation) &&
    annotation.length === 1 &&
    (annotation[0] === 'Date' || annotation[0] === 'bigint' || annotation[0] === 'undefined')
  );
}

function child(node: unknown, key: string): unknown {
  if (FORBIDDEN_KEYS.has(key) || node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) {
    throw new Error(`Wire annotation path goes through '${key}', which is not there`);
  }
  return (node as Record<string, unknown>)[key];
}

function revive(type: Leaf, value: unknown): unknown {
  if (type === 'undefined') return undefined;
  if (typeof value !== 'string') throw new Error(`A ${type} must be written as a string`);
  return type === 'Date' ? new Date(value) : BigInt(value);
}
