import { wireJsonSchema } from '@taskwire/shared';
import { z } from 'zod';
const show = (name: string, s: z.ZodType) => {
  console.log('==', name);
  console.log('input ', JSON.stringify(wireJsonSchema(s, 'input')));
  console.log('output', JSON.stringify(wireJsonSchema(s, 'output')));
};
show('email', z.object({ to: z.email(), cc: z.array(z.email()).max(50).optional(), subject: z.string().min(1).max(998), html: z.string(), priority: z.enum(['low','normal','high']), attempts: z.number().int().min(1).max(10), sendAt: z.date().optional(), tags: z.map(z.string(), z.number()).optional() }));
show('default', z.object({ a: z.number().default(3), b: z.string().nullable(), c: z.union([z.string(), z.number()]), d: z.literal('x'), e: z.literal(['a','b']), f: z.bigint(), g: z.set(z.string()), h: z.record(z.string(), z.number()), i: z.tuple([z.string(), z.number()]), j: z.number().positive().multipleOf(5), k: z.string().regex(/^a+$/), l: z.url(), m: z.uuid(), n: z.discriminatedUnion('t',[z.object({t:z.literal('a')}), z.object({t:z.literal('b'), x: z.number()})]) , o: z.int(), p: z.number().gt(3).lt(10), q: z.any(), r: z.unknown(), s: z.string().nullish(), t: z.null(), u: z.boolean(), v: z.record(z.enum(['a','b']), z.number()), w: z.object({x: z.string()}).loose(), y: z.object({x: z.string()}).strict(), z: z.object({x:z.string()}).catchall(z.number()), aa: z.never(), bb: z.intersection(z.object({a:z.string()}), z.object({b:z.number()})), cc: z.number().optional().default(4), dd: z.string().refine(x=>x.length>0), ee: z.int32(), ff: z.date().nullable(), gg: z.array(z.string()).min(1).nonempty(), hh: z.string().length(4), ii: z.enum({A:1,B:2}), jj: z.literal(5), kk: z.templateLiteral(['a', z.number()]), ll: z.email().max(3).min(1) }));
interface Cat { name: string; children: Cat[] }
const Cat: z.ZodType<Cat> = z.object({ name: z.string(), get children() { return z.array(Cat); } });
show('recursive', z.object({ root: Cat }));
const Node = z.object({ v: z.number(), get next() { return Node.optional(); } });
show('recursive2', Node);
show('mapOfRec', z.map(z.string(), Cat));
show('prefault', z.object({ a: z.string().prefault('x'), b: z.string().catch('y') }));
