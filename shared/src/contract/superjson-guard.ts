import type superjson from 'superjson';
import { TaskwireError } from './errors.ts';
import { deserializeWire } from './wire.ts';

/** The superjson annotations taskwire payloads use; anything else (classes, symbols, custom) is refused. */
const ALLOWED = new Set(['undefined', 'bigint', 'Date', 'regexp', 'set', 'map', 'Error', 'URL', 'number']);
const META_KEYS = new Set(['values', 'referentialEqualities', 'v']);
const MAX_DEPTH = 64;
const MAX_NODES = 100_000;

type SuperJSONResult = Parameters<typeof superjson.deserialize>[0];

/**
 * Checks a superjson `meta` before superjson walks it. superjson trusts its meta: a string where a
 * tree is expected, or a tree thousands of levels deep, sends its walker into unbounded recursion
 * (a cheap denial of service from a 100-byte request, or from poison data in Redis). Valid trees
 * are `[annotation, children?]` arrays or objects of trees, with known annotations only.
 */
export function assertSafeSuperjsonMeta(meta: unknown): void {
  if (meta === undefined || meta === null) return;
  if (typeof meta !== 'object' || Array.isArray(meta)) throw unsafe('meta must be an object');
  for (const key in meta) {
    if (Object.hasOwn(meta, key) && !META_KEYS.has(key)) throw unsafe(`unknown meta key '${key}'`);
  }
  const { values, referentialEqualities, v } = meta as Record<string, unknown>;
  if (v !== undefined && v !== 1) throw unsafe('unsupported meta version');
  if (referentialEqualities !== undefined) assertPathLists(referentialEqualities);
  if (values !== undefined) checkTree(values, 0, { nodes: 0 });
}

// Module level, not a closure: a closure per call costs more than the walk of a small meta.
function checkTree(node: unknown, depth: number, count: { nodes: number }): void {
  if (++count.nodes > MAX_NODES) throw unsafe('meta too large');
  if (depth > MAX_DEPTH) throw unsafe('meta too deep');
  if (Array.isArray(node)) {
    const annotation = node[0];
    if (typeof annotation !== 'string' || !ALLOWED.has(annotation) || node.length > 2) throw unsafe('unknown type annotation');
    if (node[1] !== undefined) checkTree(node[1], depth + 1, count);
    return;
  }
  if (node === null || typeof node !== 'object') throw unsafe('malformed meta tree');
  for (const key in node) {
    if (Object.hasOwn(node, key)) checkTree((node as Record<string, unknown>)[key], depth + 1, count);
  }
}

/**
 * superjson records "referential equalities" for values that are `===` (shared objects, and
 * equal bigints: `[{ n: 1n }, { n: 1n }]`). Without `dedupe` the json holds every copy anyway,
 * so they only restore identity, which a job's data never needs; they are checked for shape here
 * and then dropped, never applied (applying them writes to client-chosen paths).
 */
function assertPathLists(equalities: unknown): void {
  if (equalities === null || typeof equalities !== 'object' || Array.isArray(equalities)) {
    throw unsafe('referential equalities must be an object of path lists');
  }
  let paths = 0;
  for (const list of Object.values(equalities)) {
    if (!Array.isArray(list) || list.some((path) => typeof path !== 'string')) throw unsafe('malformed referential equalities');
    paths += list.length + 1;
    if (paths > MAX_NODES) throw unsafe('meta too large');
  }
}

function unsafe(reason: string): TaskwireError {
  return new TaskwireError('INVALID_INPUT', `Malformed superjson: ${reason}`);
}

/**
 * superjson.deserialize after {@link assertSafeSuperjsonMeta} (see {@link deserializeWire};
 * `inPlace` for a payload freshly parsed and not used again).
 */
export function safeDeserialize(payload: unknown, options: { inPlace?: boolean } = {}): unknown {
  // A call without input (e.g. `health` over WebSocket, where the field is simply absent).
  if (payload === undefined) return undefined;
  if (payload === null || typeof payload !== 'object' || !('json' in payload)) throw unsafe('expected { json, meta? }');
  const { json, meta } = payload as SuperJSONResult;
  assertSafeSuperjsonMeta(meta);
  if (!meta) return json;
  return deserializeWire({ json, meta: { values: meta.values, v: meta.v } } as SuperJSONResult, options);
}
