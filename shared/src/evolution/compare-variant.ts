import { type Comparison, unproven } from './change.ts';
import { compareArray, compareMap } from './compare-array.ts';
import { compareNumber } from './compare-bounds.ts';
import { compareObject } from './compare-object.ts';
import { compareString } from './compare-string.ts';
import { compareValues } from './compare-values.ts';
import { ANNOTATIONS, KNOWN_KEYWORDS } from './keywords.ts';
import { sameSchema } from './same-schema.ts';
import type { Variant } from './variants.ts';

/**
 * Compares two union members of the same kind (or integer against number): their enum/const
 * restriction, the keywords of that kind, and, conservatively, any keyword the engine does not
 * know (a difference there is reported as unproven).
 *
 * @example
 * compareVariant(cmp, 'subject', { kind: 'string', schema: { minLength: 1 }, values: undefined }, { kind: 'string', schema: { minLength: 3 }, values: undefined });
 */
export function compareVariant(cmp: Comparison, path: string, before: Variant, after: Variant): void {
  const b = before.schema;
  const a = after.schema;
  compareValues(cmp, path, before.values, after.values);
  switch (after.kind) {
    case 'string':
    case 'Date':
      compareString(cmp, path, b, a);
      break;
    case 'number':
    case 'integer':
    case 'bigint':
      compareNumber(cmp, path, b, a, [before.kind !== 'number', after.kind !== 'number']);
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
  const unknown = new Set([...Object.keys(b), ...Object.keys(a)].filter((key) => !KNOWN_KEYWORDS.has(key) && !ANNOTATIONS.has(key)));
  for (const key of unknown) {
    if (!sameSchema({ [key]: b[key] }, { [key]: a[key] }, cmp.beforeRoot, cmp.afterRoot)) unproven(cmp, path, `keyword '${key}' changed`);
  }
}
