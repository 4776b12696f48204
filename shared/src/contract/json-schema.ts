import { z } from 'zod';

/** A JSON Schema document (draft 2020-12), as stored in `contracts.lock.json`. */
export type JsonSchema = { [key: string]: unknown };

/**
 * Marks the rich types that cross Redis through superjson, which JSON Schema cannot express by
 * itself: `x-wire: 'Date' | 'bigint' | 'Map' | 'Set'`.
 */
export type WireType = 'Date' | 'bigint' | 'Map' | 'Set';

interface ZodDef {
  type: string;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
}

/**
 * The JSON Schema of a wire schema, as the lock file records it. `io: 'input'` describes what a
 * schema accepts (defaults make fields optional), `io: 'output'` what it produces. Dates, bigints,
 * Maps and Sets are kept with their element schemas and an `x-wire` marker; refinements (code) are
 * not representable and are left out.
 *
 * @example
 * wireJsonSchema(sendEmail.input, 'input'); // { type: 'object', properties: { to: { type: 'string', format: 'email', … } }, … }
 */
export function wireJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...document } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    cycles: 'ref',
    reused: 'inline',
    override: (ctx) => {
      const def = (ctx.zodSchema as unknown as { _zod: { def: ZodDef } })._zod.def;
      const child = (s: z.ZodType | undefined) => (s ? wireJsonSchema(s, io) : {});
      switch (def.type) {
        case 'date':
          Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time', 'x-wire': 'Date' });
          break;
        case 'bigint':
          Object.assign(ctx.jsonSchema, { type: 'integer', 'x-wire': 'bigint' });
          break;
        case 'map':
          Object.assign(ctx.jsonSchema, {
            type: 'array',
            'x-wire': 'Map',
            items: { type: 'array', prefixItems: [child(def.keyType), child(def.valueType)], minItems: 2, maxItems: 2 },
          });
          break;
        case 'set':
          Object.assign(ctx.jsonSchema, { type: 'array', uniqueItems: true, 'x-wire': 'Set', items: child(def.valueType) });
          break;
      }
    },
  }) as JsonSchema;
  return document;
}
