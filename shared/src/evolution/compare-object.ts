import type { JsonSchema } from '../contract/json-schema.ts';
import { type Comparison, report, showValue } from './change.ts';
import { compareMaxCount, compareMinCount } from './compare-bounds.ts';
import { hasConstraints } from './keywords.ts';
import { keysPath, propertyPath, valuesPath } from './path.ts';
import { isObject } from './resolve-ref.ts';

/**
 * What an object does with keys it does not declare: `strip` (no `additionalProperties`: zod
 * drops them), `reject` (`false`), or check them against a schema (records, catchall, loose).
 */
type Extra = { mode: 'strip' } | { mode: 'reject' } | { mode: 'schema'; schema: unknown };

/**
 * Compares two object schemas key by key, then what each does with undeclared keys.
 *
 * An input is judged by what the new schema accepts against what the old one did, for callers
 * as much as for queued jobs: a producer built from the old contract may still send a key the old
 * (strip) object dropped, so rejecting unknown keys now (`z.strictObject`) breaks it, just as a
 * removed `.default()` breaks a caller that left the field out. Adding an optional input field is
 * safe, and removing one only drops data, unless the new object rejects unknown keys.
 * An output is judged from the client's side: zod ignores keys it does not know, so adding an
 * output field is safe; removing one a client could rely on is not.
 *
 * @example
 * compareObject(cmp, '', { properties: { cc: {} } }, { properties: { cc: {} }, required: ['cc'] }); // "field 'cc' became required"
 */
export function compareObject(cmp: Comparison, path: string, before: JsonSchema, after: JsonSchema): void {
  const bProps = isObject(before.properties) ? before.properties : {};
  const aProps = isObject(after.properties) ? after.properties : {};
  const bRequired = requiredOf(before);
  const aRequired = requiredOf(after);
  const bExtra = extraOf(before);
  const aExtra = extraOf(after);
  const keys = new Set([...Object.keys(bProps), ...Object.keys(aProps), ...bRequired, ...aRequired]);
  for (const key of keys) {
    const at = propertyPath(path, key);
    const inBefore = Object.hasOwn(bProps, key);
    const inAfter = Object.hasOwn(aProps, key);
    if (inBefore && inAfter) cmp.recurse(cmp, bProps[key], aProps[key], at);
    if (inAfter && !inBefore) fieldAdded(cmp, at, key, aProps[key], aRequired.has(key), bExtra);
    else if (inBefore && !inAfter) fieldRemoved(cmp, at, key, bProps[key], bRequired.has(key), aExtra);
    else compareRequired(cmp, at, key, bRequired.has(key), aRequired.has(key), isObject(bProps[key]) && bProps[key].default !== undefined);
  }
  compareExtra(cmp, path, bExtra, aExtra);
  if (before.propertyNames !== undefined || after.propertyNames !== undefined) {
    // Every JSON key is a string: no propertyNames is the same as { type: 'string' }.
    cmp.recurse(cmp, before.propertyNames ?? { type: 'string' }, after.propertyNames ?? { type: 'string' }, keysPath(path));
  }
  compareMinCount(cmp, path, 'minProperties', before.minProperties, after.minProperties);
  compareMaxCount(cmp, path, 'maxProperties', before.maxProperties, after.maxProperties);
}

function requiredOf(schema: JsonSchema): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((key) => typeof key === 'string') : []);
}

function extraOf(schema: JsonSchema): Extra {
  const extra = schema.additionalProperties;
  if (extra === undefined) return { mode: 'strip' };
  if (extra === false) return { mode: 'reject' };
  return { mode: 'schema', schema: extra };
}

function isAny(schema: unknown): boolean {
  return schema === true || (isObject(schema) && !hasConstraints(schema));
}

function fieldAdded(cmp: Comparison, at: string, key: string, schema: unknown, required: boolean, bExtra: Extra): void {
  const field = `field '${key}'`;
  if (cmp.direction === 'accepts') {
    const fallback = isObject(schema) && schema.default !== undefined ? ` with default ${showValue(schema.default)}` : '';
    if (required) report(cmp, at, 'field-added', true, `required ${field} added (queued jobs do not have it)`);
    else report(cmp, at, 'field-added', false, `optional ${field} added${fallback}`);
    // A loose/catchall object kept unknown keys, so queued jobs may already carry this one.
    if (bExtra.mode === 'schema') cmp.recurse(cmp, bExtra.schema, schema, at);
    return;
  }
  report(cmp, at, 'field-added', false, `${field} added (old clients ignore it)`);
  // An old catchall client checks unknown keys against its catchall schema.
  if (bExtra.mode === 'schema' && !isAny(bExtra.schema)) cmp.recurse(cmp, bExtra.schema, schema, at);
}

function fieldRemoved(cmp: Comparison, at: string, key: string, schema: unknown, required: boolean, aExtra: Extra): void {
  const field = `field '${key}'`;
  if (cmp.direction === 'accepts') {
    if (aExtra.mode === 'strip')
      report(cmp, at, 'field-removed', false, `${field} removed (queued jobs that carry it still parse; the value is dropped)`);
    else if (aExtra.mode === 'reject')
      report(cmp, at, 'field-removed', true, `${field} removed and unknown keys are rejected (queued jobs that carry it fail)`);
    else {
      report(cmp, at, 'field-removed', false, `${field} removed (it is now checked as an extra key)`);
      cmp.recurse(cmp, schema, aExtra.schema, at);
    }
    return;
  }
  if (aExtra.mode !== 'schema') {
    if (required) report(cmp, at, 'field-removed', true, `${field} removed (clients read it)`);
    else report(cmp, at, 'field-removed', false, `optional ${field} removed (clients already handle its absence)`);
    return;
  }
  report(
    cmp,
    at,
    'field-removed',
    required,
    `${field} removed (it may still come back as an extra key${required ? ', or be missing' : ''})`,
  );
  cmp.recurse(cmp, schema, aExtra.schema, at);
}

function compareRequired(cmp: Comparison, at: string, key: string, before: boolean, after: boolean, hadDefault: boolean): void {
  if (before === after) return;
  const field = `field '${key}'`;
  if (cmp.direction === 'produces') {
    if (after) report(cmp, at, 'field-required', 'narrowed', `${field} became required (it is always returned now)`);
    else report(cmp, at, 'field-optional', 'widened', `${field} became optional (clients may find it missing)`);
    return;
  }
  // Queued jobs hold the parsed value, default filled in; it is callers that may still leave it out.
  const why = hadDefault ? ' (its default is gone: callers built from the old contract may leave it out)' : '';
  if (after) report(cmp, at, 'field-required', 'narrowed', `${field} became required${why}`);
  else report(cmp, at, 'field-optional', 'widened', `${field} became optional`);
}

function compareExtra(cmp: Comparison, path: string, before: Extra, after: Extra): void {
  if (before.mode === 'schema' && after.mode === 'schema') {
    cmp.recurse(cmp, before.schema, after.schema, valuesPath(path));
    return;
  }
  if (cmp.direction === 'accepts') {
    // A loose/catchall/record object let undeclared keys into queued jobs too.
    if (before.mode === 'schema') {
      if (after.mode === 'strip')
        report(cmp, path, 'extra-keys', false, 'extra keys are now dropped (queued jobs may carry some; their values are lost)');
      else report(cmp, path, 'extra-keys', true, 'extra keys are now rejected (queued jobs may carry some)');
    } else if (before.mode !== after.mode) {
      if (after.mode === 'reject') {
        report(cmp, path, 'extra-keys', 'narrowed', 'unknown keys are now rejected (callers built from the old contract may send some)');
      } else {
        const message = after.mode === 'strip' ? 'unknown keys are now stripped instead of rejected' : 'extra keys are now accepted';
        report(cmp, path, 'extra-keys', 'widened', message);
      }
    }
    return;
  }
  // zod clients ignore keys they do not declare, so strip and reject read the same here.
  if (before.mode === 'schema') report(cmp, path, 'extra-keys', false, 'extra keys are no longer returned');
  else if (after.mode === 'schema') report(cmp, path, 'extra-keys', false, 'extra keys may now be returned (old clients ignore them)');
}
