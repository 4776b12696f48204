import type { JsonSchema } from '../contract/json-schema.ts';
import { type Comparison, report, unproven } from './change.ts';
import { compareArray, compareMap } from './compare-array.ts';
import { compareNumber, isDivisorOnly } from './compare-bounds.ts';
import { compareObject } from './compare-object.ts';
import { compareString, isPatternOnly } from './compare-string.ts';
import { compareValues } from './compare-values.ts';
import { compareBigInt, compareDate } from './compare-wire.ts';
import { compareFinite } from './finite-values.ts';
import { ANNOTATIONS, KNOWN_KEYWORDS } from './keywords.ts';
import { sameSchema } from './same-schema.ts';
import type { Variant } from './variants.ts';

/**
 * Compares two union members of the same kind (or integer against number): their enum/const
 * restriction (a finite list against constraints is judged value by value, see `compareFinite`),
 * the keywords of that kind, how they parse (`x-catch`, `x-coerce`), and, conservatively, any
 * keyword the engine does not know (a difference there is reported as unproven).
 *
 * @example
 * compareVariant(cmp, 'subject', { kind: 'string', schema: { minLength: 1 }, values: undefined }, { kind: 'string', schema: { minLength: 3 }, values: undefined });
 */
export function compareVariant(cmp: Comparison, path: string, before: Variant, after: Variant): void {
  const b = before.schema;
  const a = after.schema;
  compareParse(cmp, path, b, a);
  if (compareFinite(cmp, path, before, after)) return;
  compareValues(cmp, path, before.values, after.values);
  switch (after.kind) {
    case 'string':
      compareString(cmp, path, b, a);
      break;
    case 'Date':
      compareDate(cmp, path, b, a);
      break;
    case 'number':
    case 'integer':
      compareNumber(cmp, path, b, a, [before.kind !== 'number', after.kind !== 'number']);
      break;
    case 'bigint':
      compareBigInt(cmp, path, b, a);
      break;
    case 'array':
    case 'Set':
      compareArray(cmp, path, b, a);
      break;
    case 'Map':
      compareMap(cmp, path, b, a);
      break;
    case 'object':
      compareObject(cmp, path, b, a);
      break;
  }
  const rb = residue(b);
  const ra = residue(a);
  const unknown = new Set([...Object.keys(rb), ...Object.keys(ra)].filter((key) => !KNOWN_KEYWORDS.has(key) && !ANNOTATIONS.has(key)));
  for (const key of unknown) {
    if (!sameSchema({ [key]: rb[key] }, { [key]: ra[key] }, cmp.beforeRoot, cmp.afterRoot)) unproven(cmp, path, `keyword '${key}' changed`);
  }
}

// The `allOf` members zod adds for a second pattern or step are compared with the first; what remains is opaque.
function residue(schema: JsonSchema): JsonSchema {
  if (!Array.isArray(schema.allOf)) return schema;
  const rest = schema.allOf.filter((member) => !isPatternOnly(member) && !isDivisorOnly(member));
  const { allOf: _members, ...others } = schema;
  return rest.length > 0 ? { ...others, allOf: rest } : others;
}

/**
 * On an input, `.catch()` accepts any value (what fails becomes the catch value) and `z.coerce`
 * any value it can convert: adding either widens what parses, removing it narrows.
 */
function compareParse(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  const flags = [
    [
      'x-catch',
      'catch',
      'catch added (values that fail become the catch value)',
      'catch removed (values that fail are now rejected, not caught)',
    ],
    [
      'x-coerce',
      'coerce',
      'coercion added (values of other types are converted)',
      'coercion removed (values of other types are now rejected, not converted)',
    ],
  ] as const;
  for (const [key, kind, added, removed] of flags) {
    const b = before[key] === true;
    const a = after[key] === true;
    if (b !== a) report(cmp, path, kind, a ? 'widened' : 'narrowed', a ? added : removed);
  }
}
