import { type Comparison, report, showValue } from './change.ts';
import { deepEqual } from './same-schema.ts';

/**
 * Compares the enum/const restriction of two variants (`undefined`: any value of the kind). Each
 * removed value narrows and each added one widens, so they are reported one by one; a constant
 * that changed is one change that does both.
 *
 * @example
 * compareValues(cmp, 'role', ['member', 'admin'], ['member']); // "enum value 'admin' removed", narrowed
 */
export function compareValues(cmp: Comparison, path: string, before: unknown[] | undefined, after: unknown[] | undefined): void {
  if (!before && !after) return;
  const list = (values: unknown[]) => values.map(showValue).join('|');
  if (!before || !after) {
    if (after) report(cmp, path, 'enum', 'narrowed', `restricted to ${list(after)}`);
    if (before) report(cmp, path, 'enum', 'widened', `no longer restricted to ${list(before)}`);
    return;
  }
  const removed = before.filter((value) => !after.some((other) => deepEqual(value, other)));
  const added = after.filter((value) => !before.some((other) => deepEqual(value, other)));
  if (before.length === 1 && after.length === 1 && removed.length === 1) {
    report(cmp, path, 'enum', 'changed', `constant changed from ${showValue(before[0])} to ${showValue(after[0])}`);
    return;
  }
  for (const value of removed) report(cmp, path, 'enum', 'narrowed', `enum value ${showValue(value)} removed`);
  for (const value of added) report(cmp, path, 'enum', 'widened', `enum value ${showValue(value)} added`);
}
