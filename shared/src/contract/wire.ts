import superjson from 'superjson';

/** superjson's wire form: JSON plus the annotations that restore Dates, bigints, Maps… */
export type WireValue = ReturnType<typeof superjson.serialize>;

type Leaf = 'Date' | 'bigint' | 'undefined';

/** Nesting beyond this is left to superjson (which also handles cycles its own way). */
const MAX_DEPTH = 100;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Thrown inside the fast walk when a value needs superjson's general handling. */
const FALLBACK = Symbol('fallback');

function escapeKey(key: string): string {
  return key.includes('\\') || key.includes('.') ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key;
}

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
  return serializeWireSized(value).wire;
}

/**
 * {@link serializeWire}, plus an upper bound of the UTF-8 size of `JSON.stringify(wire)`, counted
 * during the same walk (every character of a string as a 6-byte escape, every number as 24
 * characters): enough to know that a job is far below a size limit without writing it out.
 * `Infinity` when superjson wrote the value.
 */
export function serializeWireSized(value: unknown): { wire: WireValue; maxBytes: number } {
  const state: WalkState = { path: [], values: {}, top: undefined, annotated: false, bytes: 2 };
  let json: unknown;
  try {
    json = walk(state, value, 0);
  } catch (error) {
    if (error === FALLBACK) return { wire: superjson.serialize(value as Parameters<typeof superjson.serialize>[0]), maxBytes: Infinity };
    throw error;
  }
  if (!state.annotated) return { wire: { json } as WireValue, maxBytes: state.bytes + 12 };
  // A top-level Date, bigint or undefined is annotated by the bare annotation, as superjson does.
  return { wire: { json, meta: { values: state.top ?? state.values, v: 1 } } as WireValue, maxBytes: state.bytes + 64 };
}

interface WalkState {
  /** Escaped keys from the root to the node being walked; joined only when a node is annotated. */
  path: string[];
  values: Record<string, [Leaf]>;
  top: [Leaf] | undefined;
  annotated: boolean;
  /** Upper bound of the JSON size so far (bytes). */
  bytes: number;
}

function annotate(state: WalkState, depth: number, type: Leaf): void {
  state.annotated = true;
  if (depth === 0) {
    state.top = [type];
    return;
  }
  const path = state.path.join('.');
  state.values[path] = [type];
  state.bytes += 6 * path.length + 20;
}

/** The last Date written, and its ISO text: the Dates of one batch are often the same instant. */
let lastTime = Number.NaN;
let lastIso = '';

function isoOf(time: number, date: Date): string {
  if (time !== lastTime) {
    lastIso = date.toISOString();
    lastTime = time;
  }
  return lastIso;
}

function walk(state: WalkState, node: unknown, depth: number): unknown {
  switch (typeof node) {
    case 'string':
      state.bytes += 6 * node.length + 3;
      return node;
    case 'boolean':
      state.bytes += 6;
      return node;
    case 'number':
      if (!Number.isFinite(node) || Object.is(node, -0)) throw FALLBACK;
      state.bytes += 25;
      return node;
    case 'bigint': {
      annotate(state, depth, 'bigint');
      const text = node.toString();
      state.bytes += text.length + 3;
      return text;
    }
    case 'undefined':
      annotate(state, depth, 'undefined');
      state.bytes += 5;
      return null;
    case 'object': {
      if (node === null) {
        state.bytes += 5;
        return null;
      }
      if (depth > MAX_DEPTH) throw FALLBACK;
      const { path } = state;
      state.bytes += 2;
      if (Array.isArray(node)) {
        const out = new Array(node.length);
        state.bytes += node.length;
        for (let i = 0; i < node.length; i += 1) {
          path.push(String(i));
          out[i] = walk(state, node[i], depth + 1);
          path.pop();
        }
        return out;
      }
      if (node instanceof Date) {
        const time = node.getTime();
        if (Number.isNaN(time)) throw FALLBACK;
        annotate(state, depth, 'Date');
        state.bytes += 30;
        return isoOf(time, node);
      }
      const proto = Object.getPrototypeOf(node);
      if (proto !== Object.prototype && proto !== null) throw FALLBACK;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key)) throw FALLBACK;
        path.push(escapeKey(key));
        state.bytes += 6 * key.length + 4;
        out[key] = walk(state, (node as Record<string, unknown>)[key], depth + 1);
        path.pop();
      }
      return out;
    }
    default:
      throw FALLBACK;
  }
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
  const copies = inPlace ? undefined : new Set<object>();
  const root = own(json, copies);
  for (const [path, annotation] of entries) {
    const type = (annotation as [Leaf])[0];
    const keys = path.split('.');
    let parent = root;
    for (let i = 0; i < keys.length - 1; i += 1) {
      const key = keys[i] as string;
      const next = own(child(parent, key), copies);
      (parent as Record<string, unknown>)[key] = next;
      parent = next;
    }
    const last = keys[keys.length - 1] as string;
    const value = child(parent, last);
    (parent as Record<string, unknown>)[last] = revive(type, value);
  }
  return root;
}

/** The node itself in place (no `copies`), else a copy of it made once. */
function own(node: unknown, copies: Set<object> | undefined): unknown {
  if (!copies || node === null || typeof node !== 'object' || copies.has(node)) return node;
  const copy = Array.isArray(node) ? node.slice() : { ...(node as object) };
  copies.add(copy);
  return copy;
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
  return type === 'Date' ? dateOf(value) : BigInt(value);
}

/** The last ISO text read, and its instant (see {@link isoOf}). */
let lastReadIso = '';
let lastReadTime = Number.NaN;

function dateOf(iso: string): Date {
  if (iso !== lastReadIso) {
    lastReadTime = new Date(iso).getTime();
    lastReadIso = iso;
  }
  return new Date(lastReadTime);
}
