/**
 * What `contracts:check` sees of a zod schema, one entry per thing zod 4 can put on one: every
 * schema `type`, every check kind, every format and every option of a schema or check definition
 * (`URL.protocol` is the `protocol` option of `$ZodURLDef`). A unit test reads zod's own source
 * and fails on anything missing here, so a zod upgrade that adds one is classified before it ships.
 *
 * - `compared`: it reaches the lock (see `wireJsonSchema`) and a change to it is judged for inputs
 *   and for outputs;
 * - `inert`: it does not change which values parse (messages, metadata, zod's own bookkeeping);
 * - `{ invisible }`: the lock cannot hold it, so a change to it goes unseen; `contracts:check`
 *   warns, naming the field, wherever a contract uses it. The text says what it is.
 */
export type Coverage = 'compared' | 'inert' | { invisible: string };

const REFINEMENT = { invisible: 'a refinement (.refine(), .superRefine(), .check()): code the lock cannot record' };
const REWRITE = { invisible: 'a value rewrite (.trim(), .toLowerCase(), .toUpperCase(), .normalize(), .overwrite())' };
const PIPE = { invisible: 'a pipe (.pipe(), z.preprocess(), a codec): the lock records one side of it only' };
const NOT_WIRE = (what: string) => ({ invisible: `${what}: not a value superjson carries, recorded as any value` });

/**
 * Every `def.type` of zod 4.
 *
 * @example
 * SCHEMA_TYPES.pipe; // { invisible: 'a pipe (.pipe(), z.preprocess(), a codec): …' }
 */
export const SCHEMA_TYPES: Readonly<Record<string, Coverage>> = {
  any: 'compared',
  unknown: 'compared',
  never: 'compared',
  string: 'compared',
  number: 'compared',
  boolean: 'compared',
  bigint: 'compared',
  date: 'compared',
  null: 'compared',
  enum: 'compared',
  literal: 'compared',
  template_literal: 'compared',
  array: 'compared',
  tuple: 'compared',
  set: 'compared',
  map: 'compared',
  object: 'compared',
  record: 'compared',
  union: 'compared',
  intersection: 'compared',
  optional: 'compared',
  nonoptional: 'compared',
  nullable: 'compared',
  default: 'compared',
  prefault: 'compared',
  catch: 'compared',
  readonly: 'compared',
  lazy: 'compared',
  pipe: PIPE,
  transform: { invisible: 'a transform: code the lock cannot record' },
  custom: { invisible: 'z.custom() or z.instanceof(): code the lock cannot record' },
  success: { invisible: 'z.success(): recorded as a boolean, though it accepts any value' },
  undefined: NOT_WIRE('z.undefined()'),
  void: NOT_WIRE('z.void()'),
  nan: NOT_WIRE('z.nan()'),
  symbol: NOT_WIRE('z.symbol()'),
  function: NOT_WIRE('z.function()'),
  promise: NOT_WIRE('z.promise()'),
  file: NOT_WIRE('z.file()'),
};

/**
 * Every `check` kind of zod 4 (`schema._zod.def.checks[i]._zod.def.check`).
 *
 * @example
 * CHECK_KINDS.min_length; // 'compared'
 */
export const CHECK_KINDS: Readonly<Record<string, Coverage>> = {
  greater_than: 'compared',
  less_than: 'compared',
  multiple_of: 'compared',
  number_format: 'compared',
  bigint_format: 'compared',
  min_length: 'compared',
  max_length: 'compared',
  length_equals: 'compared',
  min_size: 'compared',
  max_size: 'compared',
  size_equals: 'compared',
  string_format: 'compared',
  custom: REFINEMENT,
  overwrite: REWRITE,
  property: { invisible: 'a z.property() check' },
  properties: { invisible: 'a z.properties() check' },
  mime_type: { invisible: 'a MIME type check of z.file()' },
  describe: 'inert',
  meta: 'inert',
};

/**
 * Every built-in format (string, number and bigint). A string format reaches the lock as its JSON
 * Schema `format` and, for most, its `pattern`; `starts_with`, `ends_with`, `includes`,
 * `lowercase`, `uppercase` and `regex` are their pattern alone. A format of your own
 * (`z.stringFormat(name, …)`) is compared through its regex, and is invisible when it is a function.
 *
 * @example
 * FORMATS.email; // 'compared'
 */
export const FORMATS: Readonly<Record<string, Coverage>> = Object.fromEntries(
  [
    ...['email', 'url', 'emoji', 'uuid', 'guid', 'nanoid', 'cuid', 'cuid2', 'ulid', 'xid', 'ksuid'],
    ...['datetime', 'date', 'time', 'duration', 'ipv4', 'ipv6', 'mac', 'cidrv4', 'cidrv6', 'base64', 'base64url'],
    ...['json_string', 'e164', 'credit_card', 'iban', 'jwt', 'hostname', 'hex', 'currency_code'],
    ...['lowercase', 'uppercase', 'regex', 'starts_with', 'ends_with', 'includes'],
    ...['md5', 'sha1', 'sha256', 'sha384', 'sha512'].flatMap((alg) => ['hex', 'base64', 'base64url'].map((enc) => `${alg}_${enc}`)),
    ...['safeint', 'int32', 'uint32', 'float32', 'float64', 'int64', 'uint64'],
  ].map((format) => [format, 'compared' as const]),
);

/**
 * Every option of a schema or check definition, as `<Def name without $Zod and Def>.<field>`.
 * The discriminants (`type`, `check`, `format`) are the tables above.
 *
 * @example
 * OPTIONS['URL.protocol']; // 'compared'
 */
export const OPTIONS: Readonly<Record<string, Coverage>> = {
  'Type.checks': 'compared',
  'Type.error': 'inert',
  'Check.abort': 'inert',
  'Check.error': 'inert',
  // zod sets its own `when` on length and size checks (skip a value of another type): that one is inert.
  'Check.when': { invisible: 'a check made conditional with `when`' },
  'String.checks': 'compared',
  'String.coerce': 'compared',
  'Number.coerce': 'compared',
  'Boolean.checks': 'compared',
  'Boolean.coerce': 'compared',
  'BigInt.coerce': 'compared',
  'Date.coerce': 'compared',
  'CheckStringFormat.pattern': 'compared',
  'CheckRegex.pattern': 'compared',
  'CheckStartsWith.prefix': 'compared',
  'CheckEndsWith.suffix': 'compared',
  'CheckIncludes.includes': 'compared',
  'CheckIncludes.position': 'compared',
  // Declared on the string-format definition these extend, whose trait they do not carry at run time.
  'CheckStartsWith.pattern': 'compared',
  'CheckEndsWith.pattern': 'compared',
  'CheckIncludes.pattern': 'compared',
  'CheckGreaterThan.value': 'compared',
  'CheckGreaterThan.inclusive': 'compared',
  'CheckLessThan.value': 'compared',
  'CheckLessThan.inclusive': 'compared',
  'CheckMultipleOf.value': 'compared',
  'CheckMinLength.minimum': 'compared',
  'CheckMaxLength.maximum': 'compared',
  'CheckLengthEquals.length': 'compared',
  'CheckMinSize.minimum': 'compared',
  'CheckMaxSize.maximum': 'compared',
  'CheckSizeEquals.size': 'compared',
  'CheckMimeType.mime': CHECK_KINDS.mime_type as Coverage,
  'CheckOverwrite.tx': REWRITE,
  'CheckProperty.property': CHECK_KINDS.property as Coverage,
  'CheckProperty.schema': CHECK_KINDS.property as Coverage,
  'CheckProperties.shape': CHECK_KINDS.properties as Coverage,
  'URL.protocol': 'compared',
  'URL.hostname': 'compared',
  'URL.normalize': 'compared',
  'JWT.alg': 'compared',
  'UUID.version': 'compared',
  'NanoID.length': 'compared',
  'MAC.delimiter': 'compared',
  'ISODateTime.offset': 'compared',
  'ISODateTime.local': 'compared',
  'ISODateTime.precision': 'compared',
  'ISOTime.precision': 'compared',
  // Declared by zod's types, read by none of its validators.
  'IPv4.version': 'inert',
  'IPv6.version': 'inert',
  'CIDRv4.version': 'inert',
  'CIDRv6.version': 'inert',
  'CustomStringFormat.fn': { invisible: 'a string format checked by a function (z.stringFormat(name, fn))' },
  'TemplateLiteral.parts': 'compared',
  'TemplateLiteral.format': 'inert',
  'Enum.entries': 'compared',
  'Literal.values': 'compared',
  'Array.element': 'compared',
  'Tuple.items': 'compared',
  'Tuple.rest': 'compared',
  'Set.valueType': 'compared',
  'Map.keyType': 'compared',
  'Map.valueType': 'compared',
  'Object.shape': 'compared',
  'Object.catchall': 'compared',
  'Record.keyType': 'compared',
  'Record.valueType': 'compared',
  'Record.mode': 'compared',
  'Record.partial': 'compared',
  'Union.options': 'compared',
  'Union.inclusive': 'compared',
  'DiscriminatedUnion.discriminator': 'compared',
  // Options that miss the tag fail every member anyway: the same values parse with or without it.
  'DiscriminatedUnion.unionFallback': 'inert',
  'Intersection.left': 'compared',
  'Intersection.right': 'compared',
  'Optional.innerType': 'compared',
  'ExactOptional.*': { invisible: '.exactOptional(): recorded as .optional(), which also accepts an explicit undefined' },
  'NonOptional.innerType': 'compared',
  'Nullable.innerType': 'compared',
  'Default.innerType': 'compared',
  'Default.defaultValue': 'compared',
  'Prefault.innerType': 'compared',
  'Prefault.defaultValue': 'compared',
  'Catch.innerType': 'compared',
  'Catch.catchValue': 'compared',
  'Readonly.innerType': 'compared',
  'Lazy.getter': 'compared',
  'Pipe.in': PIPE,
  'Pipe.out': PIPE,
  'Pipe.transform': PIPE,
  'Pipe.reverseTransform': PIPE,
  'Preprocess.in': PIPE,
  'Preprocess.out': PIPE,
  'Codec.transform': PIPE,
  'Codec.reverseTransform': PIPE,
  'Transform.transform': SCHEMA_TYPES.transform as Coverage,
  'Custom.fn': SCHEMA_TYPES.custom as Coverage,
  'Custom.params': SCHEMA_TYPES.custom as Coverage,
  'Custom.path': SCHEMA_TYPES.custom as Coverage,
  'Custom.error': 'inert',
  'Success.innerType': SCHEMA_TYPES.success as Coverage,
  'Promise.innerType': SCHEMA_TYPES.promise as Coverage,
  'Function.input': SCHEMA_TYPES.function as Coverage,
  'Function.output': SCHEMA_TYPES.function as Coverage,
};

/**
 * The text of an invisible entry, or `undefined` for a compared or inert one.
 *
 * @example
 * invisibleText(CHECK_KINDS.custom); // 'a refinement (.refine(), .superRefine(), .check()): …'
 */
export function invisibleText(coverage: Coverage | undefined): string | undefined {
  return typeof coverage === 'object' ? coverage.invisible : undefined;
}
