/**
 * Keywords that describe a schema without constraining its values; changing them changes nothing
 * on the wire. (`default` is not here: it is reported, as a non-breaking change.)
 *
 * @example
 * ANNOTATIONS.has('description'); // true
 */
export const ANNOTATIONS: ReadonlySet<string> = new Set([
  'title',
  'description',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  '$id',
  '$schema',
  '$anchor',
  '$defs',
  'definitions',
  'id',
  // Written with zod's base64 formats, which say the same and are compared.
  'contentEncoding',
]);

/**
 * Every keyword the comparers understand (besides {@link ANNOTATIONS}). Any other keyword that
 * differs between versions is reported as unproven.
 *
 * @example
 * KNOWN_KEYWORDS.has('contains'); // false
 */
export const KNOWN_KEYWORDS: ReadonlySet<string> = new Set([
  '$ref',
  'type',
  'x-wire',
  'nullable',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'default',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'formatMinimum',
  'formatMaximum',
  'x-protocol',
  'x-hostname',
  'x-options',
  'x-catch',
  'x-coerce',
]);

/**
 * Keywords whose value is one schema, so that structural equality (`sameSchema`) follows
 * `$ref`s in them rather than comparing text.
 *
 * @example
 * SCHEMA_KEYWORDS.has('items'); // true
 */
export const SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
]);

/**
 * Keywords whose value is an array of schemas.
 *
 * @example
 * SCHEMA_ARRAY_KEYWORDS.has('anyOf'); // true
 */
export const SCHEMA_ARRAY_KEYWORDS: ReadonlySet<string> = new Set(['prefixItems', 'anyOf', 'oneOf', 'allOf']);

/**
 * Keywords whose value maps names to schemas.
 *
 * @example
 * SCHEMA_MAP_KEYWORDS.has('properties'); // true
 */
export const SCHEMA_MAP_KEYWORDS: ReadonlySet<string> = new Set(['properties', 'patternProperties', 'dependentSchemas']);

/**
 * Whether `schema` has a keyword other than annotations and `default`, i.e. constrains anything.
 *
 * @example
 * hasConstraints({ description: 'any value' }); // false
 */
export function hasConstraints(schema: Record<string, unknown>, ignore: readonly string[] = []): boolean {
  return Object.keys(schema).some((key) => !ANNOTATIONS.has(key) && key !== 'default' && !ignore.includes(key));
}
