import type { JsonSchema } from '../contract/json-schema.ts';
import { type Comparison, report } from './change.ts';
import { compareMaxCount, compareMinCount } from './compare-bounds.ts';
import { itemsPath, keysPath, tuplePath, valuesPath } from './path.ts';
import { isObject, resolveRef } from './resolve-ref.ts';

/**
 * Compares arrays, tuples (`prefixItems`) and Sets: element schemas at `[]` (or `[i]` for a
 * tuple position), `minItems`/`maxItems` and `uniqueItems`.
 *
 * @example
 * compareArray(cmp, 'cc', { type: 'array', maxItems: 50 }, { type: 'array', maxItems: 10 }); // "maxItems lowered from 50 to 10"
 */
export function compareArray(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  compareMinCount(cmp, path, 'minItems', before.minItems, after.minItems);
  compareMaxCount(cmp, path, 'maxItems', before.maxItems, after.maxItems);
  if (before.uniqueItems !== after.uniqueItems) {
    const nowUnique = after.uniqueItems === true;
    if (nowUnique !== (before.uniqueItems === true)) {
      report(
        cmp,
        path,
        'uniqueItems',
        nowUnique ? 'narrowed' : 'widened',
        nowUnique ? 'elements must now be unique' : 'elements no longer need to be unique',
      );
    }
  }
  const bp = Array.isArray(before.prefixItems) ? before.prefixItems : [];
  const ap = Array.isArray(after.prefixItems) ? after.prefixItems : [];
  for (let i = 0; i < Math.max(bp.length, ap.length); i++) {
    compareSlot(cmp, tuplePath(path, i), bp[i] ?? before.items ?? true, ap[i] ?? after.items ?? true, `tuple element [${i}]`);
  }
  if (before.items !== undefined || after.items !== undefined) {
    compareSlot(cmp, itemsPath(path), before.items ?? true, after.items ?? true, 'elements past the tuple');
  }
}

// `false` (no element allowed here) is worth its own message rather than "type narrowed to never".
function compareSlot(cmp: Comparison, path: string, before: unknown, after: unknown, label: string): void {
  if (before === false && after === false) return;
  if (before === false || after === false) {
    const added = before === false;
    report(cmp, path, 'tuple', added ? 'widened' : 'narrowed', `${label} ${added ? 'added' : 'removed'}`);
  } else {
    cmp.recurse(cmp, before, after, path);
  }
}

/**
 * Compares two Maps (`x-wire: 'Map'`, an array of `[key, value]` entries on the wire): keys at
 * `{key}`, values at `{}`, and the size limits. Falls back to {@link compareArray} when an entry
 * is not a 2-tuple.
 *
 * @example
 * compareMap(cmp, 'tags', before, after); // "type changed from number to string" at 'tags{}'
 */
export function compareMap(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  const b = entryOf(before.items, cmp.beforeRoot);
  const a = entryOf(after.items, cmp.afterRoot);
  if (!b || !a) {
    compareArray(cmp, path, before, after);
    return;
  }
  compareMinCount(cmp, path, 'minItems', before.minItems, after.minItems);
  compareMaxCount(cmp, path, 'maxItems', before.maxItems, after.maxItems);
  cmp.recurse(cmp, b[0], a[0], keysPath(path));
  cmp.recurse(cmp, b[1], a[1], valuesPath(path));
}

function entryOf(items: unknown, root: JsonSchema): [unknown, unknown] | undefined {
  const resolved = resolveRef(items, root);
  if (!('schema' in resolved) || !isObject(resolved.schema)) return undefined;
  const prefix = resolved.schema.prefixItems;
  return Array.isArray(prefix) && prefix.length === 2 ? [prefix[0], prefix[1]] : undefined;
}
