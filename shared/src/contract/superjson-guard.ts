import superjson from 'superjson';
import { TaskwireError } from './errors.ts';

/** The superjson annotations taskwire payloads use; anything else (classes, symbols, custom) is refused. */
const ALLOWED = new Set(['undefined', 'bigint', 'Date', 'regexp', 'set', 'map', 'Error', 'URL', 'number']);
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
  const { values, referentialEqualities, v, ...rest } = meta as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw unsafe(`unknown meta key '${Object.keys(rest)[0]}'`);
  if (v !== undefined && v !== 1) throw unsafe('unsupported meta version');
  if (referentialEqualities !== undefined) throw unsafe('referential equalities are not accepted');
  let nodes = 0;
  const tree = (node: unknown, depth: number): void => {
    if (++nodes > MAX_NODES) throw unsafe('meta too large');
    if (depth > MAX_DEPTH) throw unsafe('meta too deep');
    if (Array.isArray(node)) {
      const [annotation, children, ...extra] = node;
      if (typeof annotation !== 'string' || !ALLOWED.has(annotation) || extra.length > 0) throw unsafe('unknown type annotation');
      if (children !== undefined) tree(children, depth + 1);
      return;
    }
    if (node === null || typeof node !== 'object') throw unsafe('malformed meta tree');
    for (const child of Object.values(node)) tree(child, depth + 1);
  };
  if (values !== undefined) tree(values, 0);
}

function unsafe(reason: string): TaskwireError {
  return new TaskwireError('INVALID_INPUT', `Malformed superjson: ${reason}`);
}

/** superjson.deserialize after {@link assertSafeSuperjsonMeta}. */
export function safeDeserialize(payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object' || !('json' in payload)) throw unsafe('expected { json, meta? }');
  assertSafeSuperjsonMeta((payload as { meta?: unknown }).meta);
  return superjson.deserialize(payload as SuperJSONResult);
}
