import type { JsonSchema } from '../contract/json-schema.ts';
import { hasConstraints } from './keywords.ts';
import { isObject, resolveRef } from './resolve-ref.ts';
import { deepEqual } from './same-schema.ts';

/**
 * What kind of value a union member is: a JSON type, a rich type marked with `x-wire`, `any`
 * (no constraint at all) or `opaque` (a construct the engine does not reason about).
 */
export type Kind =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'null'
  | 'object'
  | 'array'
  | 'Date'
  | 'bigint'
  | 'Map'
  | 'Set'
  | 'any'
  | 'opaque';

/**
 * One member of a schema read as a union: `{ type: ['string', 'null'] }` is two variants, a
 * `oneOf` of objects one per member. `values` is the enum/const restriction, if any.
 */
export interface Variant {
  kind: Kind;
  schema: JsonSchema;
  values: unknown[] | undefined;
}

const JSON_TYPES: readonly string[] = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'];
const WIRE_TYPES: readonly string[] = ['Date', 'bigint', 'Map', 'Set'];

/**
 * Reads a schema as a flat union of single-kind variants: `anyOf`/`oneOf` members (nested ones
 * too), `type` arrays and `nullable` are spread out, and members that are only literals of one
 * kind (`z.literal('a').or(z.literal('b'))`) are merged into one enum. `false` is no variant.
 *
 * @example
 * variantsOf({ type: ['string', 'null'] }, root).map((v) => v.kind); // ['string', 'null']
 */
export function variantsOf(schema: unknown, root: JsonSchema): Variant[] {
  // A list of whole numbers is a list of integers: `z.enum([1, 2])` → `z.int()` narrows nothing.
  return mergeLiterals(flatten(schema, root, [])).map((v) =>
    v.kind === 'number' && v.values?.every(Number.isInteger) ? { ...v, kind: 'integer' } : v,
  );
}

function flatten(node: unknown, root: JsonSchema, stack: readonly object[]): Variant[] {
  const resolved = resolveRef(node, root);
  if ('error' in resolved) return [opaque(isObject(node) ? node : {})];
  const schema = resolved.schema;
  if (schema === true) return [{ kind: 'any', schema: {}, values: undefined }];
  if (schema === false) return [];
  // A union that contains itself (through a $ref) cannot be spread out.
  if (stack.includes(schema)) return [opaque(schema)];
  const members = schema.anyOf ?? schema.oneOf;
  if (members !== undefined) {
    // Keywords next to anyOf apply to every member; too rare in wire schemas to model.
    if (!Array.isArray(members) || hasConstraints(schema, ['anyOf', 'oneOf'])) return [opaque(schema)];
    return members.flatMap((member) => flatten(member, root, [...stack, schema]));
  }
  if (isNever(schema)) return [];
  const values = Object.hasOwn(schema, 'const') ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;
  const wire = schema['x-wire'];
  if (wire !== undefined)
    return [{ kind: typeof wire === 'string' && WIRE_TYPES.includes(wire) ? (wire as Kind) : 'opaque', schema, values }];
  let types: unknown[];
  if (typeof schema.type === 'string') types = [schema.type];
  else if (Array.isArray(schema.type)) types = schema.type;
  else if (values) types = [...new Set(values.map(jsonType))];
  else if (!hasConstraints(schema)) return [{ kind: 'any', schema, values: undefined }];
  else return [opaque(schema)];
  if (schema.nullable === true && !types.includes('null')) types = [...types, 'null'];
  return types.flatMap((type): Variant[] => {
    if (typeof type !== 'string' || !JSON_TYPES.includes(type)) return [opaque(schema)];
    const own = values?.filter((value) => ofType(value, type));
    if (own?.length === 0) return [];
    return [{ kind: type as Kind, schema, values: own && restricts(type, own) ? own : undefined }];
  });
}

function mergeLiterals(variants: Variant[]): Variant[] {
  const out: Variant[] = [];
  const literals = new Map<Kind, Variant>();
  for (const variant of variants) {
    const literalOnly = variant.values !== undefined && !hasConstraints(variant.schema, ['type', 'enum', 'const']);
    const seen = literalOnly ? literals.get(variant.kind) : undefined;
    if (!literalOnly) out.push(variant);
    else if (!seen) {
      const merged = { ...variant, schema: { type: variant.kind }, values: [...(variant.values ?? [])] };
      literals.set(variant.kind, merged);
      out.push(merged);
    } else {
      const values = seen.values ?? [];
      for (const value of variant.values ?? []) if (!values.some((v) => deepEqual(v, value))) values.push(value);
      seen.values = values;
    }
  }
  return out;
}

function opaque(schema: JsonSchema): Variant {
  return { kind: 'opaque', schema, values: undefined };
}

function isNever(schema: JsonSchema): boolean {
  const not = schema.not;
  return (not === true || (isObject(not) && Object.keys(not).length === 0)) && !hasConstraints(schema, ['not']);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function ofType(value: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(value);
  return jsonType(value) === type;
}

// `null` and `true|false` list every value of their type: no restriction at all.
function restricts(type: string, values: unknown[]): boolean {
  if (type === 'null') return false;
  if (type === 'boolean') return !(values.includes(true) && values.includes(false));
  return true;
}
