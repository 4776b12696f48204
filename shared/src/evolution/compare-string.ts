import type { JsonSchema } from '../contract/json-schema.ts';
import { type Comparison, report, showValue } from './change.ts';
import { compareMaxCount, compareMinCount } from './compare-bounds.ts';

/**
 * Compares string constraints. Length limits are ordered; a pattern or format can only be
 * compared for equality, so adding one narrows, dropping one widens and replacing one does both
 * (whether one regex accepts everything another does is not decided here).
 *
 * @example
 * compareString(cmp, 'to', { type: 'string' }, { type: 'string', format: 'email' }); // "format 'email' added", narrowed
 */
export function compareString(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  compareMinCount(cmp, path, 'minLength', before.minLength, after.minLength);
  compareMaxCount(cmp, path, 'maxLength', before.maxLength, after.maxLength);
  compareText(cmp, path, 'format', before.format, after.format);
  compareText(cmp, path, 'pattern', before.pattern, after.pattern);
}

function compareText(cmp: Comparison, path: string, keyword: 'format' | 'pattern', before: unknown, after: unknown): void {
  if (before === after) return;
  if (before === undefined) report(cmp, path, keyword, 'narrowed', `${keyword} ${showValue(after)} added`);
  else if (after === undefined) report(cmp, path, keyword, 'widened', `${keyword} ${showValue(before)} removed`);
  else report(cmp, path, keyword, 'changed', `${keyword} changed from ${showValue(before)} to ${showValue(after)}`);
}
