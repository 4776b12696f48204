import { wireJsonSchema } from '@taskwire/shared';
import { z } from 'zod';
const show = (name: string, s: z.ZodType) => {
  console.log('==', name);
  console.log('input ', JSON.stringify(wireJsonSchema(s, 'input')));
  console.log('output', JSON.stringify(wireJsonSchema(s, 'output')));
};
show('misc', z.object({ a: z.number().int(), b: z.union([z.literal('a'), z.literal('b')]), c: z.string().describe('hi'), d: z.string().meta({ title: 'x' }).optional(), e: z.union([z.string(), z.number()]).default('x'), f: z.number().nullable().optional(), g: z.set(z.number()).min(1), h: z.map(z.string(), z.number()).max(3), i: z.array(z.string()).length(3), j: z.string().startsWith('a'), k: z.date().min(new Date(0)), l: z.bigint().min(1n), m: z.file?.() ?? z.any() }));
const Tree = z.object({ v: z.number(), get kids() { return z.array(Tree); } }).meta({ id: 'Tree' });
show('withid', z.object({ t: Tree, u: Tree }));
