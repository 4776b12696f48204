import type { JsonSchema } from '../contract/json-schema.ts';
import { absoluteRefs } from './absolute-refs.ts';
import { type Change, type Comparison, type Direction, report, showValue, unproven } from './change.ts';
import { compareExclusive, compareUnion } from './compare-union.ts';
import { isObject, resolveRef } from './resolve-ref.ts';
import { deepEqual, sameSchema } from './same-schema.ts';
import { type Variant, variantsOf } from './variants.ts';

export type { Change, ChangeKind, Direction } from './change.ts';

// Deeper than any contract; a guard against a recursion the cycle check did not catch.
const MAX_DEPTH = 128;

/**
 * Lists every difference between two versions of a schema (as `wireJsonSchema` writes them to the
 * lock file), each judged for `direction`:
 * - `accepts` (a task input): breaking when the new schema rejects a job queued under the old one.
 * - `produces` (a task output or progress): breaking when the new schema can return a value a
 *   client built from the old one does not expect.
 *
 * Pure: no I/O, and the inputs are not modified. Local `$ref`s resolve against each document's
 * own root (see `absoluteRefs` for the schemas embedded in Maps and Sets); anything the engine
 * cannot reason about, an unresolvable `$ref` included, is reported as breaking (`kind: 'unproven'`).
 * Paths use the notation of `path.ts`: `cc`, `items[].name`, `meta.tags{}`, `tags{key}`, `pair[0]`.
 *
 * @example
 * const before = wireJsonSchema(z.object({ to: z.email(), cc: z.array(z.email()).optional() }), 'input');
 * const after = wireJsonSchema(z.object({ to: z.email(), cc: z.array(z.email()) }), 'input');
 * compareSchemas(before, after, 'accepts');
 * // [{ path: 'cc', kind: 'field-required', breaking: true, message: "field 'cc' became required" }]
 */
export function compareSchemas(before: JsonSchema, after: JsonSchema, direction: Direction): Change[] {
  // Identical documents are compatible even where the engine could not follow them (a remote $ref).
  if (deepEqual(before, after)) return [];
  const beforeRoot = absoluteRefs(before);
  const afterRoot = absoluteRefs(after);
  const cmp: Comparison = {
    direction,
    beforeRoot,
    afterRoot,
    changes: [],
    active: new Map(),
    depth: { current: 0 },
    recurse: compareNode,
  };
  compareNode(cmp, beforeRoot, afterRoot, '');
  return cmp.changes;
}

function compareNode(cmp: Comparison, before: unknown, after: unknown, path: string): void {
  const b = resolveRef(before, cmp.beforeRoot);
  const a = resolveRef(after, cmp.afterRoot);
  if ('error' in b || 'error' in a) {
    unproven(cmp, path, 'error' in b ? b.error : 'error' in a ? a.error : '');
    return;
  }
  if (sameSchema(b.schema, a.schema, cmp.beforeRoot, cmp.afterRoot)) return;
  const sb = b.schema;
  const sa = a.schema;
  // A recursive schema meets the same pair again: what differs there is being reported already.
  const seen = isObject(sb) && isObject(sa) ? (cmp.active.get(sb) ?? new Set<object>()) : undefined;
  if (seen?.has(sa as object)) return;
  if (cmp.depth.current >= MAX_DEPTH) {
    unproven(cmp, path, 'schema nested too deeply');
    return;
  }
  if (seen) cmp.active.set(sb as object, seen.add(sa as object));
  cmp.depth.current++;
  try {
    if (isObject(sb) && isObject(sa)) compareDefault(cmp, path, sb.default, sa.default);
    const variants: [Variant[], Variant[]] = [variantsOf(sb, cmp.beforeRoot), variantsOf(sa, cmp.afterRoot)];
    compareExclusive(cmp, path, sb, sa, variants);
    compareUnion(cmp, path, ...variants);
  } finally {
    cmp.depth.current--;
    seen?.delete(sa as object);
  }
}

// A default only fills in what the caller left out; the values that parse are the same.
function compareDefault(cmp: Comparison, path: string, before: unknown, after: unknown): void {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  const message =
    before === undefined
      ? `default ${showValue(after)} added`
      : after === undefined
        ? `default ${showValue(before)} removed`
        : `default changed from ${showValue(before)} to ${showValue(after)}`;
  report(cmp, path, 'default', false, message);
}
