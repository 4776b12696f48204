import type { JsonSchema } from '../contract/json-schema.ts';
import { isObject, resolveRef } from './resolve-ref.ts';

/**
 * Returns a copy of a lock-file document in which every local `$ref` is relative to the document
 * root. `wireJsonSchema` converts the key and value schemas of a Map, and the element schema of a
 * Set, in a separate `z.toJSONSchema` call and embeds the result in place: inside it, `#` and
 * `#/$defs/…` mean that embedded schema, not the document. Left as they are, such refs would
 * resolve to the wrong schema (or to nothing) and a change behind them would go unseen.
 *
 * A ref that does not resolve inside its embedded schema is kept as written.
 *
 * @example
 * absoluteRefs({ type: 'array', 'x-wire': 'Set', items: { type: 'object', properties: { next: { $ref: '#' } } } });
 * // … items: { …, properties: { next: { $ref: '#/items' } } }
 */
export function absoluteRefs(document: JsonSchema): JsonSchema {
  return rewrite(document, '', { pointer: '', schema: document }, embeddedIn(document)) as JsonSchema;
}

interface Resource {
  pointer: string;
  schema: JsonSchema;
}

function rewrite(node: unknown, pointer: string, resource: Resource, embedded: Set<unknown>): unknown {
  if (Array.isArray(node)) return node.map((item, i) => rewrite(item, `${pointer}/${i}`, resource, embedded));
  if (!isObject(node)) return node;
  const inner = embedded.has(node) ? { pointer, schema: node } : resource;
  const children = embeddedIn(node);
  for (const child of embedded) children.add(child);
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$ref' ? absolute(value, inner) : rewrite(value, `${pointer}/${pointerSegment(key)}`, inner, children);
  }
  return out;
}

function absolute(ref: unknown, resource: Resource): unknown {
  if (resource.pointer === '' || typeof ref !== 'string' || !ref.startsWith('#')) return ref;
  if (!('schema' in resolveRef({ $ref: ref }, resource.schema))) return ref;
  return `#${resource.pointer}${ref.slice(1)}`;
}

// The schemas wireJsonSchema produced by a separate conversion: a Map's entry key and value, a Set's element.
function embeddedIn(node: JsonSchema): Set<unknown> {
  const items = node.items;
  if (node['x-wire'] === 'Set') return new Set([items]);
  if (node['x-wire'] === 'Map' && isObject(items) && Array.isArray(items.prefixItems)) return new Set(items.prefixItems);
  return new Set();
}

function pointerSegment(key: string): string {
  return encodeURIComponent(key.replaceAll('~', '~0').replaceAll('/', '~1'));
}
