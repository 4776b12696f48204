/**
 * Examples for `compare-kinds.test.ts`, keyed like the coverage tables: `type:`, `check:`,
 * `format:` and `option:` followed by the table's key.
 */
import { z } from 'zod';

type Make = () => z.ZodType;

/**
 * A looser and a tighter schema. `ordered` (the default): tightening breaks an input and loosening
 * breaks an output. `changed`: the change breaks both ways (not ordered). `neutral`: nothing breaks
 * (e.g. what only affects how an input parses, seen from the output side).
 */
export interface ComparedExample {
  loose: Make;
  tight: Make;
  accepts?: 'ordered' | 'changed' | 'neutral';
  produces?: 'ordered' | 'changed' | 'neutral';
}

const s = z.string;
const orString = (schema: z.ZodType): ComparedExample => ({ loose: () => z.union([schema, s()]), tight: () => schema });
const fromString = (tight: Make): ComparedExample => ({ loose: () => s(), tight });
const fromNumber = (tight: Make): ComparedExample => ({ loose: () => z.number(), tight });
const fromBigInt = (tight: Make): ComparedExample => ({ loose: () => z.bigint(), tight });
const inputOnly = (loose: Make, tight: Make): ComparedExample => ({ loose, tight, produces: 'neutral' });
const changed = (loose: Make, tight: Make): ComparedExample => ({ loose, tight, accepts: 'changed', produces: 'changed' });
const neutral = (loose: Make, tight: Make): ComparedExample => ({ loose, tight, accepts: 'neutral', produces: 'neutral' });
const hashes = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;
const encodings = ['hex', 'base64', 'base64url'] as const;

const minLength = fromString(() => s().min(2));
const regex = fromString(() => s().regex(/^a/));
const enumValues: ComparedExample = { loose: () => z.enum(['a', 'b']), tight: () => z.enum(['a']) };
const literalValues: ComparedExample = { loose: () => z.literal(['a', 'b']), tight: () => z.literal('a') };
const lazy: ComparedExample = { loose: () => z.lazy(() => s()), tight: () => z.lazy(() => s().min(1)) };
const union: ComparedExample = { loose: () => z.union([s(), z.number()]), tight: () => z.union([s()]) };
const intersection: ComparedExample = {
  loose: () => z.object({ a: s() }),
  tight: () => z.intersection(z.object({ a: s() }), z.object({ b: s() })),
};
const defaulted = inputOnly(
  () => s().default('x'),
  () => s(),
);

export const COMPARED: Record<string, ComparedExample> = {
  'type:any': { loose: () => z.any(), tight: () => s() },
  'type:unknown': { loose: () => z.unknown(), tight: () => s() },
  'type:never': { loose: () => s(), tight: () => z.never() },
  'type:string': { loose: () => z.union([s(), z.number()]), tight: () => s() },
  'type:number': orString(z.number()),
  'type:boolean': orString(z.boolean()),
  'type:bigint': orString(z.bigint()),
  'type:date': orString(z.date()),
  'type:null': orString(z.null()),
  'type:enum': enumValues,
  'type:literal': literalValues,
  'type:template_literal': fromString(() => z.templateLiteral(['a', z.number()])),
  'type:array': orString(z.array(s())),
  'type:tuple': { loose: () => z.tuple([s()], s()), tight: () => z.tuple([s()]) },
  'type:set': orString(z.set(s())),
  'type:map': orString(z.map(s(), s())),
  'type:object': orString(z.object({ a: s() })),
  'type:record': orString(z.record(s(), s())),
  'type:union': union,
  'type:intersection': intersection,
  'type:optional': { loose: () => s().optional(), tight: () => s() },
  'type:nonoptional': { loose: () => s().optional(), tight: () => s().optional().nonoptional() },
  'type:nullable': { loose: () => s().nullable(), tight: () => s() },
  'type:default': defaulted,
  'type:prefault': inputOnly(
    () => s().prefault('x'),
    () => s(),
  ),
  'type:catch': inputOnly(
    () => s().catch('x'),
    () => s(),
  ),
  'type:readonly': { loose: () => s().readonly(), tight: () => s().min(1).readonly() },
  'type:lazy': lazy,
  'check:greater_than': fromNumber(() => z.number().gt(0)),
  'check:less_than': fromNumber(() => z.number().lt(10)),
  'check:multiple_of': fromNumber(() => z.number().multipleOf(2)),
  'check:number_format': fromNumber(() => z.int32()),
  'check:bigint_format': fromBigInt(() => z.int64()),
  'check:min_length': minLength,
  'check:max_length': fromString(() => s().max(5)),
  'check:length_equals': fromString(() => s().length(5)),
  'check:min_size': { loose: () => z.set(s()), tight: () => z.set(s()).min(1) },
  'check:max_size': { loose: () => z.map(s(), s()), tight: () => z.map(s(), s()).max(5) },
  'check:size_equals': { loose: () => z.set(s()).min(2), tight: () => z.set(s()).size(2) },
  'check:string_format': fromString(() => z.email()),
  'format:email': fromString(() => z.email()),
  'format:url': fromString(() => z.url()),
  'format:emoji': fromString(() => z.emoji()),
  'format:uuid': fromString(() => z.uuid()),
  'format:guid': fromString(() => z.guid()),
  'format:nanoid': fromString(() => z.nanoid()),
  'format:cuid': fromString(() => z.cuid()),
  'format:cuid2': fromString(() => z.cuid2()),
  'format:ulid': fromString(() => z.ulid()),
  'format:xid': fromString(() => z.xid()),
  'format:ksuid': fromString(() => z.ksuid()),
  'format:datetime': fromString(() => z.iso.datetime()),
  'format:date': fromString(() => z.iso.date()),
  'format:time': fromString(() => z.iso.time()),
  'format:duration': fromString(() => z.iso.duration()),
  'format:ipv4': fromString(() => z.ipv4()),
  'format:ipv6': fromString(() => z.ipv6()),
  'format:mac': fromString(() => z.mac()),
  'format:cidrv4': fromString(() => z.cidrv4()),
  'format:cidrv6': fromString(() => z.cidrv6()),
  'format:base64': fromString(() => z.base64()),
  'format:base64url': fromString(() => z.base64url()),
  'format:e164': fromString(() => z.e164()),
  'format:credit_card': fromString(() => z.creditCard()),
  'format:iban': fromString(() => z.iban()),
  'format:jwt': fromString(() => z.jwt()),
  'format:hostname': fromString(() => z.hostname()),
  'format:hex': fromString(() => z.hex()),
  'format:currency_code': fromString(() => z.currencyCode()),
  'format:lowercase': fromString(() => s().lowercase()),
  'format:uppercase': fromString(() => s().uppercase()),
  'format:regex': regex,
  'format:starts_with': fromString(() => s().startsWith('a')),
  'format:ends_with': fromString(() => s().endsWith('a')),
  'format:includes': fromString(() => s().includes('a')),
  ...Object.fromEntries(
    hashes.flatMap((alg) => encodings.map((enc) => [`format:${alg}_${enc}`, fromString(() => z.hash(alg, { enc }))] as const)),
  ),
  'format:safeint': fromNumber(() => z.int()),
  'format:int32': fromNumber(() => z.int32()),
  'format:uint32': fromNumber(() => z.uint32()),
  'format:float32': fromNumber(() => z.float32()),
  'format:float64': fromNumber(() => z.float64()),
  'format:int64': fromBigInt(() => z.int64()),
  'format:uint64': fromBigInt(() => z.uint64()),
  'option:Type.checks': minLength,
  'option:String.checks': minLength,
  'option:Boolean.checks': { loose: () => z.union([z.boolean(), s()]), tight: () => z.boolean() },
  'option:String.coerce': inputOnly(
    () => z.coerce.string(),
    () => s(),
  ),
  'option:Number.coerce': inputOnly(
    () => z.coerce.number(),
    () => z.number(),
  ),
  'option:Boolean.coerce': inputOnly(
    () => z.coerce.boolean(),
    () => z.boolean(),
  ),
  'option:BigInt.coerce': inputOnly(
    () => z.coerce.bigint(),
    () => z.bigint(),
  ),
  'option:Date.coerce': inputOnly(
    () => z.coerce.date(),
    () => z.date(),
  ),
  'option:CheckStringFormat.pattern': regex,
  'option:CheckRegex.pattern': { loose: () => s().regex(/^a{0,9}$/), tight: () => s().regex(/^a{0,5}$/) },
  'option:CheckStartsWith.prefix': { loose: () => s().startsWith('a'), tight: () => s().startsWith('ab') },
  'option:CheckStartsWith.pattern': { loose: () => s().startsWith('a'), tight: () => s().startsWith('ab') },
  'option:CheckEndsWith.suffix': { loose: () => s().endsWith('b'), tight: () => s().endsWith('ab') },
  'option:CheckEndsWith.pattern': { loose: () => s().endsWith('b'), tight: () => s().endsWith('ab') },
  'option:CheckIncludes.includes': { loose: () => s().includes('a'), tight: () => s().includes('ab') },
  'option:CheckIncludes.pattern': { loose: () => s().includes('a'), tight: () => s().includes('ab') },
  'option:CheckIncludes.position': { loose: () => s().includes('a'), tight: () => s().includes('a', { position: 2 }) },
  'option:CheckGreaterThan.value': { loose: () => z.number().gt(0), tight: () => z.number().gt(5) },
  'option:CheckGreaterThan.inclusive': { loose: () => z.number().min(0), tight: () => z.number().gt(0) },
  'option:CheckLessThan.value': { loose: () => z.number().lt(10), tight: () => z.number().lt(5) },
  'option:CheckLessThan.inclusive': { loose: () => z.number().max(10), tight: () => z.number().lt(10) },
  'option:CheckMultipleOf.value': { loose: () => z.number().multipleOf(2), tight: () => z.number().multipleOf(4) },
  'option:CheckMinLength.minimum': { loose: () => s().min(1), tight: () => s().min(2) },
  'option:CheckMaxLength.maximum': { loose: () => s().max(9), tight: () => s().max(5) },
  'option:CheckLengthEquals.length': { loose: () => s().min(3), tight: () => s().length(3) },
  'option:CheckMinSize.minimum': { loose: () => z.set(s()).min(1), tight: () => z.set(s()).min(2) },
  'option:CheckMaxSize.maximum': { loose: () => z.map(s(), s()).max(5), tight: () => z.map(s(), s()).max(3) },
  'option:CheckSizeEquals.size': { loose: () => z.map(s(), s()).max(3), tight: () => z.map(s(), s()).size(3) },
  'option:URL.protocol': { loose: () => z.url({ protocol: /^https?$/ }), tight: () => z.url({ protocol: /^https$/ }) },
  'option:URL.hostname': { loose: () => z.url(), tight: () => z.url({ hostname: /^example\.com$/ }) },
  'option:URL.normalize': changed(
    () => z.url(),
    () => z.url({ normalize: true }),
  ),
  'option:JWT.alg': changed(
    () => z.jwt(),
    () => z.jwt({ alg: 'HS256' }),
  ),
  'option:UUID.version': { loose: () => z.uuid(), tight: () => z.uuid({ version: 'v4' }) },
  'option:NanoID.length': changed(
    () => z.nanoid(),
    () => z.nanoid({ length: 10 } as { length: number }),
  ),
  'option:MAC.delimiter': changed(
    () => z.mac(),
    () => z.mac({ delimiter: '-' }),
  ),
  'option:ISODateTime.offset': { loose: () => z.iso.datetime({ offset: true }), tight: () => z.iso.datetime() },
  'option:ISODateTime.local': { loose: () => z.iso.datetime({ local: true }), tight: () => z.iso.datetime() },
  'option:ISODateTime.precision': { loose: () => z.iso.datetime(), tight: () => z.iso.datetime({ precision: 3 }) },
  'option:ISOTime.precision': { loose: () => z.iso.time(), tight: () => z.iso.time({ precision: 0 }) },
  'option:TemplateLiteral.parts': { loose: () => z.templateLiteral(['a', z.number()]), tight: () => z.templateLiteral(['a', z.int()]) },
  'option:Enum.entries': enumValues,
  'option:Literal.values': literalValues,
  'option:Array.element': { loose: () => z.array(s()), tight: () => z.array(s().min(1)) },
  'option:Tuple.items': { loose: () => z.tuple([s()]), tight: () => z.tuple([s().min(1)]) },
  'option:Tuple.rest': { loose: () => z.tuple([s()], s()), tight: () => z.tuple([s()], s().min(1)) },
  'option:Set.valueType': { loose: () => z.set(s()), tight: () => z.set(s().min(1)) },
  'option:Map.keyType': { loose: () => z.map(s(), s()), tight: () => z.map(s().min(1), s()) },
  'option:Map.valueType': { loose: () => z.map(s(), s()), tight: () => z.map(s(), s().min(1)) },
  'option:Object.shape': { loose: () => z.object({ a: s() }), tight: () => z.object({ a: s().min(1) }) },
  'option:Object.catchall': { loose: () => z.object({}).catchall(s()), tight: () => z.object({}).catchall(s().min(1)) },
  'option:Record.keyType': { loose: () => z.record(s(), s()), tight: () => z.record(s().min(2), s()) },
  'option:Record.valueType': { loose: () => z.record(s(), s()), tight: () => z.record(s(), s().min(2)) },
  'option:Record.mode': changed(
    () => z.record(s().regex(/^a/), z.number()),
    () => z.looseRecord(s().regex(/^a/), z.number()),
  ),
  'option:Record.partial': { loose: () => z.partialRecord(z.enum(['a', 'b']), s()), tight: () => z.record(z.enum(['a', 'b']), s()) },
  'option:Union.options': union,
  'option:Union.inclusive': { loose: () => z.union([z.int(), z.number()]), tight: () => z.xor([z.int(), z.number()]) },
  'option:DiscriminatedUnion.discriminator': {
    loose: () => z.discriminatedUnion('k', [z.object({ k: z.literal('a') }), z.object({ k: z.literal('b') })]),
    tight: () => z.discriminatedUnion('k', [z.object({ k: z.literal('a') })]),
  },
  'option:Intersection.left': intersection,
  'option:Intersection.right': intersection,
  'option:Optional.innerType': { loose: () => s().optional(), tight: () => s().min(1).optional() },
  'option:NonOptional.innerType': { loose: () => s().optional().nonoptional(), tight: () => s().min(1).optional().nonoptional() },
  'option:Nullable.innerType': { loose: () => s().nullable(), tight: () => s().min(1).nullable() },
  'option:Default.innerType': { loose: () => s().default('xx'), tight: () => s().min(2).default('xx') },
  'option:Default.defaultValue': neutral(
    () => s().default('a'),
    () => s().default('b'),
  ),
  'option:Prefault.innerType': { loose: () => s().prefault('xx'), tight: () => s().min(2).prefault('xx') },
  'option:Prefault.defaultValue': neutral(
    () => s().prefault('a'),
    () => s().prefault('b'),
  ),
  'option:Catch.innerType': {
    loose: () => s().catch('xx'),
    tight: () => s().min(2).catch('xx'),
    // On an input, a caught value never fails whatever the inner schema; the check judges the inner schema anyway.
    accepts: 'ordered',
  },
  'option:Catch.catchValue': neutral(
    () => s().catch('a'),
    () => s().catch('b'),
  ),
  'option:Readonly.innerType': { loose: () => s().readonly(), tight: () => s().min(1).readonly() },
  'option:Lazy.getter': lazy,
};

/** Pairs that differ only in an inert construct. */
export const INERT: Record<string, [Make, Make]> = {
  'check:describe': [() => s(), () => s().describe('a name')],
  'check:meta': [() => s(), () => s().meta({ title: 'Name' })],
  'option:Type.error': [() => s(), () => s({ error: 'not a string' })],
  'option:Check.error': [() => s().min(1), () => s().min(1, 'too short')],
  'option:Check.abort': [() => s().min(1), () => s().min(1, { abort: true })],
  // A refinement is invisible as a whole (and warned); its message changes nothing the lock holds.
  'option:Custom.error': [() => s().refine((v) => v !== ''), () => s().refine((v) => v !== '', 'must not be empty')],
  'option:DiscriminatedUnion.unionFallback': [
    () => z.discriminatedUnion('k', [z.object({ k: z.literal('a') })]),
    () => z.discriminatedUnion('k', [z.object({ k: z.literal('a') })], { unionFallback: true }),
  ],
};

/** A schema that uses an invisible construct (it is put in field `v`). */
export const INVISIBLE: Record<string, Make> = {
  'type:pipe': () => s().pipe(z.email()),
  'type:transform': () => z.transform((value: unknown) => value),
  'type:custom': () => z.custom<string>((value) => typeof value === 'string'),
  'type:success': () => z.success(s()),
  'type:undefined': () => z.undefined(),
  'type:void': () => z.void(),
  'type:nan': () => z.nan(),
  'type:symbol': () => z.symbol(),
  'type:function': () => z.function() as unknown as z.ZodType,
  'type:promise': () => z.promise(s()),
  'type:file': () => z.file(),
  'check:custom': () => s().refine((value) => value.length > 0),
  'check:overwrite': () => s().trim(),
  'check:property': () => z.object({ a: s() }).check(z.property('a', s().min(1))),
  'check:properties': () => z.object({ a: s() }).check(z.core._properties({ a: s().min(1) }) as never),
  'check:mime_type': () => z.object({}).check(z.core._mime(['image/png']) as never),
  // zod's types leave `when` out of a length check's parameters; its runtime takes it.
  'option:Check.when': () => s().min(1, { when: () => true } as { abort?: boolean }),
  'option:CheckMimeType.mime': () => z.object({}).check(z.core._mime(['image/png']) as never),
  'option:CheckOverwrite.tx': () => s().overwrite((value) => value.trim()),
  'option:CheckProperty.property': () => z.object({ a: s() }).check(z.property('a', s().min(1))),
  'option:CheckProperty.schema': () => z.object({ a: s() }).check(z.property('a', s().min(1))),
  'option:CheckProperties.shape': () => z.object({ a: s() }).check(z.core._properties({ a: s().min(1) }) as never),
  'option:CustomStringFormat.fn': () => z.stringFormat('even-length', (value) => value.length % 2 === 0),
  'option:ExactOptional.*': () => s().exactOptional(),
  'option:Pipe.in': () => s().pipe(z.email()),
  'option:Pipe.out': () => s().pipe(z.email()),
  'option:Pipe.transform': () => z.codec(s(), s(), { decode: (v) => v, encode: (v) => v }),
  'option:Pipe.reverseTransform': () => z.codec(s(), s(), { decode: (v) => v, encode: (v) => v }),
  'option:Preprocess.in': () => z.preprocess((value) => value, s()),
  'option:Preprocess.out': () => z.preprocess((value) => value, s()),
  'option:Codec.transform': () => z.codec(s(), s(), { decode: (v) => v, encode: (v) => v }),
  'option:Codec.reverseTransform': () => z.codec(s(), s(), { decode: (v) => v, encode: (v) => v }),
  'option:Transform.transform': () => z.transform((value: unknown) => value),
  'option:Custom.fn': () => z.custom<string>((value) => typeof value === 'string'),
  'option:Custom.params': () => z.custom<string>((value) => typeof value === 'string', { params: { why: 'a string' } }),
  'option:Custom.path': () => z.custom<string>((value) => typeof value === 'string', { path: ['v'] }),
  'option:Success.innerType': () => z.success(s()),
  'option:Promise.innerType': () => z.promise(s()),
  'option:Function.input': () => z.function() as unknown as z.ZodType,
  'option:Function.output': () => z.function() as unknown as z.ZodType,
};

/** Entries zod's public API cannot produce (or produces only through internals), so no example. */
export const NO_PUBLIC_API = [
  'format:json_string',
  'option:TemplateLiteral.format',
  'option:IPv4.version',
  'option:IPv6.version',
  'option:CIDRv4.version',
  'option:CIDRv6.version',
];
