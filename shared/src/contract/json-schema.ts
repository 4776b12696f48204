import { z } from 'zod';
import { bigintKeywords, bigintLiteralKeywords, dateKeywords, formatKeywords, sizeKeywords } from './json-schema-checks.ts';

/** A JSON Schema document (draft 2020-12), as stored in `contracts.lock.json`. */
export type JsonSchema = { [key: string]: unknown };

/**
 * Marks the rich types that cross Redis through superjson, which JSON Schema cannot express by
 * itself: `x-wire: 'Date' | 'bigint' | 'Map' | 'Set'`.
 */
export type WireType = 'Date' | 'bigint' | 'Map' | 'Set';

/**
 * What the lock's schemas record. `1`: what zod's JSON Schema converter writes, plus the `x-wire`
 * marks. `2` adds what it leaves out: Date bounds (`formatMinimum`/`formatMaximum`), bigint bounds
 * and steps, Set and Map sizes (`minItems`/`maxItems`), a URL's `x-protocol`/`x-hostname`, format
 * options (`x-options`: URL `normalize`, JWT `alg`), bigint literals, and on inputs `x-catch`
 * (`.catch()` accepts any value) and `x-coerce` (`z.coerce.*`).
 */
export type Vocabulary = 1 | 2;

/**
 * The vocabulary this version of taskwire writes.
 *
 * @example
 * parseLock(text).lockVersion === VOCABULARY; // a lock is always read into today's vocabulary
 */
export const VOCABULARY: Vocabulary = 2;

interface ZodDef {
  type: string;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  values?: unknown[];
  coerce?: boolean;
}

/**
 * The JSON Schema of a wire schema, as the lock file records it. `io: 'input'` describes what a
 * schema accepts (defaults make fields optional), `io: 'output'` what it produces. Dates, bigints,
 * Maps and Sets are kept with their element schemas, bounds and sizes and an `x-wire` marker;
 * refinements (code) are not representable and are left out. `vocabulary` writes what an older
 * lock recorded (see {@link Vocabulary}), to compare a contract with a lock entry of that age.
 *
 * @example
 * wireJsonSchema(sendEmail.input, 'input'); // { type: 'object', properties: { to: { type: 'string', format: 'email', … } }, … }
 */
export function wireJsonSchema(schema: z.ZodType, io: 'input' | 'output', vocabulary: Vocabulary = VOCABULARY): JsonSchema {
  const more = vocabulary >= 2;
  const { $schema: _ignored, ...document } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    cycles: 'ref',
    reused: 'inline',
    override: (ctx) => {
      const zod = ctx.zodSchema as unknown as z.ZodType;
      const def = (zod as unknown as { _zod: { def: ZodDef } })._zod.def;
      const json = ctx.jsonSchema as JsonSchema;
      const child = (s: z.ZodType | undefined) => (s ? wireJsonSchema(s, io, vocabulary) : {});
      switch (def.type) {
        case 'date':
          Object.assign(json, { type: 'string', format: 'date-time', 'x-wire': 'Date' }, more ? dateKeywords(zod) : {});
          break;
        case 'bigint':
          Object.assign(json, { type: 'integer', 'x-wire': 'bigint' }, more ? bigintKeywords(zod) : {});
          break;
        case 'map':
          Object.assign(json, {
            type: 'array',
            'x-wire': 'Map',
            items: { type: 'array', prefixItems: [child(def.keyType), child(def.valueType)], minItems: 2, maxItems: 2 },
            ...(more ? sizeKeywords(zod) : {}),
          });
          break;
        case 'set':
          Object.assign(
            json,
            { type: 'array', uniqueItems: true, 'x-wire': 'Set', items: child(def.valueType) },
            more ? sizeKeywords(zod) : {},
          );
          break;
        case 'string':
          if (more) Object.assign(json, formatKeywords(zod));
          break;
        case 'literal': {
          const bigints = more ? bigintLiteralKeywords(def.values ?? []) : undefined;
          if (bigints) {
            delete json.const;
            delete json.enum;
            Object.assign(json, bigints);
          }
          break;
        }
        case 'catch':
          // A caught value never fails: on input, the schema accepts anything.
          if (more && io === 'input') json['x-catch'] = true;
          break;
      }
      // Coercion accepts values of other types; what it produces is of the declared type.
      if (more && io === 'input' && def.coerce === true) json['x-coerce'] = true;
    },
  }) as JsonSchema;
  return document;
}
