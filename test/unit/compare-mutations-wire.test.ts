/**
 * Mutation suite, part two: realistic edits to a licence-reminder task's input and result that
 * touch what JSON Schema alone does not carry (Date and bigint bounds, Set and Map sizes, URL
 * options, `.catch()`, coercion) and the verdicts the README states (unknown keys, patterns, a
 * finite list of values against constraints). Same rules as `compare-mutations.test.ts`: the
 * verdict a reviewer would give for a queued job or caller (`accepts`) and for a client built from
 * the old contract (`produces`), and the path the breaking change must name.
 */
import { z } from 'zod';
import { BREAKS, type Mutation, runMutationSuite, SAFE, type Shape } from '../fixtures/mutation-suite.ts';

const input = {
  licenseId: z.string().regex(/^[A-Z]{2}-[0-9]{4,8}$/),
  holder: z.object({ name: z.string().min(1).max(200), plan: z.enum(['basic', 'pro']) }),
  expiresAt: z.date(),
  notBefore: z.date().min(new Date('2020-01-01')).optional(),
  quotaBytes: z.bigint().nonnegative(),
  seats: z.set(z.email()).max(100),
  limits: z.map(z.string(), z.int()).optional(),
  portalUrl: z.url({ protocol: /^https?$/ }),
  channel: z.literal('email').default('email'),
  retries: z.int().min(0).max(5).catch(3),
  priority: z.coerce.number().int().min(0).max(9).optional(),
};

const result = {
  reminded: z.array(z.string()),
  nextRunAt: z.date(),
  usage: z.bigint().min(0n).max(1_000_000_000_000n),
  tags: z.set(z.string()).max(10),
  via: z.enum(['smtp', 'outbox']),
  portal: z.url({ protocol: /^https$/ }),
};

const strict = (shape: Shape) => z.strictObject(shape);
const loose = (shape: Shape) => z.looseObject(shape);

const mutations: Mutation[] = [
  { name: 'no change', base: input, edit: (s) => ({ ...s }), accepts: [SAFE, null], produces: [SAFE, null] },
  {
    name: 'Date minimum added',
    base: input,
    edit: (s) => ({ ...s, expiresAt: z.date().min(new Date('2030-01-01')) }),
    accepts: [BREAKS, 'expiresAt'],
    produces: [SAFE, 'expiresAt'],
  },
  {
    name: 'Date minimum lowered',
    base: input,
    edit: (s) => ({ ...s, notBefore: z.date().min(new Date('2010-01-01')).optional() }),
    accepts: [SAFE, 'notBefore'],
    produces: [BREAKS, 'notBefore'],
  },
  {
    name: 'Date gt → min of the next millisecond (same values)',
    base: input,
    edit: (s) => ({
      ...s,
      notBefore: z
        .date()
        .min(new Date(Date.parse('2020-01-01') + 1))
        .optional(),
    }),
    accepts: [BREAKS, 'notBefore'],
    produces: [SAFE, 'notBefore'],
  },
  {
    name: 'bigint maximum added',
    base: input,
    edit: (s) => ({
      ...s,
      quotaBytes: z
        .bigint()
        .nonnegative()
        .max(2n ** 40n),
    }),
    accepts: [BREAKS, 'quotaBytes'],
    produces: [SAFE, 'quotaBytes'],
  },
  {
    name: 'bigint nonnegative → positive',
    base: input,
    edit: (s) => ({ ...s, quotaBytes: z.bigint().positive() }),
    accepts: [BREAKS, 'quotaBytes'],
    produces: [SAFE, 'quotaBytes'],
  },
  {
    name: 'bigint bound removed',
    base: input,
    edit: (s) => ({ ...s, quotaBytes: z.bigint() }),
    accepts: [SAFE, 'quotaBytes'],
    produces: [BREAKS, 'quotaBytes'],
  },
  {
    name: 'Set maxItems lowered',
    base: input,
    edit: (s) => ({ ...s, seats: z.set(z.email()).max(10) }),
    accepts: [BREAKS, 'seats'],
    produces: [SAFE, 'seats'],
  },
  {
    name: 'Set now nonempty',
    base: input,
    edit: (s) => ({ ...s, seats: z.set(z.email()).min(1).max(100) }),
    accepts: [BREAKS, 'seats'],
    produces: [SAFE, 'seats'],
  },
  {
    name: 'Map size limit added',
    base: input,
    edit: (s) => ({ ...s, limits: z.map(z.string(), z.int()).max(20).optional() }),
    accepts: [BREAKS, 'limits'],
    produces: [SAFE, 'limits'],
  },
  {
    name: 'URL protocol narrowed to https',
    base: input,
    edit: (s) => ({ ...s, portalUrl: z.url({ protocol: /^https$/ }) }),
    accepts: [BREAKS, 'portalUrl'],
    produces: [SAFE, 'portalUrl'],
  },
  {
    name: 'URL hostname restricted',
    base: input,
    edit: (s) => ({ ...s, portalUrl: z.url({ protocol: /^https?$/, hostname: /^portal\.example\.com$/ }) }),
    accepts: [BREAKS, 'portalUrl'],
    produces: [SAFE, 'portalUrl'],
  },
  {
    name: 'pattern bound widened',
    base: input,
    edit: (s) => ({ ...s, licenseId: z.string().regex(/^[A-Z]{2}-[0-9]{4,12}$/) }),
    accepts: [SAFE, 'licenseId'],
    produces: [BREAKS, 'licenseId'],
  },
  {
    name: 'pattern class widened',
    base: input,
    edit: (s) => ({ ...s, licenseId: z.string().regex(/^[A-Z]{2}-[0-9A-F]{4,8}$/) }),
    accepts: [SAFE, 'licenseId'],
    produces: [BREAKS, 'licenseId'],
  },
  {
    name: 'pattern alternative added',
    base: input,
    edit: (s) => ({ ...s, licenseId: z.string().regex(/^(?:[A-Z]{2}-[0-9]{4,8}|TRIAL)$/) }),
    accepts: [SAFE, 'licenseId'],
    produces: [BREAKS, 'licenseId'],
  },
  {
    name: 'pattern bound narrowed',
    base: input,
    edit: (s) => ({ ...s, licenseId: z.string().regex(/^[A-Z]{2}-[0-9]{6,8}$/) }),
    accepts: [BREAKS, 'licenseId'],
    produces: [SAFE, 'licenseId'],
  },
  {
    name: 'pattern changed (neither wider nor narrower)',
    base: input,
    edit: (s) => ({ ...s, licenseId: z.string().regex(/^[A-Z]{3}-[0-9]{4,8}$/) }),
    accepts: [BREAKS, 'licenseId'],
    produces: [BREAKS, 'licenseId'],
  },
  {
    name: 'pattern rewritten, proven narrower only (kept as narrowed)',
    base: input,
    edit: (s) => ({ ...s, licenseId: z.string().regex(/^[A-Z]{2}-\d{4}\d{0,4}$/) }),
    accepts: [BREAKS, 'licenseId'],
    produces: [SAFE, 'licenseId'],
  },
  {
    name: 'enum → constrained string',
    base: input,
    edit: (s) => ({ ...s, holder: z.object({ name: z.string().min(1).max(200), plan: z.string().min(1) }) }),
    accepts: [SAFE, 'holder.plan'],
    produces: [BREAKS, 'holder.plan'],
  },
  {
    name: 'enum → string an old value fails',
    base: input,
    edit: (s) => ({ ...s, holder: z.object({ name: z.string().min(1).max(200), plan: z.string().min(4) }) }),
    accepts: [BREAKS, 'holder.plan'],
    produces: [BREAKS, 'holder.plan'],
  },
  {
    name: 'literal → pattern its value meets',
    base: input,
    edit: (s) => ({
      ...s,
      channel: z
        .string()
        .regex(/^[a-z]+$/)
        .default('email'),
    }),
    accepts: [SAFE, 'channel'],
    produces: [BREAKS, 'channel'],
  },
  {
    name: '.catch() removed',
    base: input,
    edit: (s) => ({ ...s, retries: z.int().min(0).max(5) }),
    accepts: [BREAKS, 'retries'],
    produces: [SAFE, 'retries'],
  },
  {
    name: 'coercion removed',
    base: input,
    edit: (s) => ({ ...s, priority: z.number().int().min(0).max(9).optional() }),
    accepts: [BREAKS, 'priority'],
    produces: [SAFE, null],
  },
  {
    name: 'object → strictObject',
    base: input,
    edit: (s) => s,
    wrapAfter: strict,
    accepts: [BREAKS, ''],
    produces: [SAFE, null],
  },
  {
    name: 'strictObject → object',
    base: input,
    edit: (s) => s,
    wrap: strict,
    accepts: [SAFE, ''],
    produces: [SAFE, null],
  },
  {
    name: 'looseObject → object',
    base: input,
    edit: (s) => s,
    wrap: loose,
    accepts: [SAFE, ''],
    produces: [SAFE, ''],
  },
  {
    name: 'default removed',
    base: input,
    edit: (s) => ({ ...s, channel: z.literal('email') }),
    accepts: [BREAKS, 'channel'],
    produces: [SAFE, 'channel'],
  },
  {
    name: 'result: Date gains a maximum',
    base: result,
    edit: (s) => ({ ...s, nextRunAt: z.date().max(new Date('2100-01-01')) }),
    accepts: [BREAKS, 'nextRunAt'],
    produces: [SAFE, 'nextRunAt'],
  },
  {
    name: 'result: bigint maximum raised',
    base: result,
    edit: (s) => ({ ...s, usage: z.bigint().min(0n).max(1_000_000_000_000_000n) }),
    accepts: [SAFE, 'usage'],
    produces: [BREAKS, 'usage'],
  },
  {
    name: 'result: Set maxItems raised',
    base: result,
    edit: (s) => ({ ...s, tags: z.set(z.string()).max(50) }),
    accepts: [SAFE, 'tags'],
    produces: [BREAKS, 'tags'],
  },
  {
    name: 'result: URL protocol widened',
    base: result,
    edit: (s) => ({ ...s, portal: z.url({ protocol: /^https?$/ }) }),
    accepts: [SAFE, 'portal'],
    produces: [BREAKS, 'portal'],
  },
  {
    name: 'result: enum → string',
    base: result,
    edit: (s) => ({ ...s, via: z.string() }),
    accepts: [SAFE, 'via'],
    produces: [BREAKS, 'via'],
  },
  {
    name: 'result: string → enum of values it allowed',
    base: { ...result, via: z.string().min(1) },
    edit: (s) => ({ ...s, via: z.enum(['smtp', 'outbox']) }),
    accepts: [BREAKS, 'via'],
    produces: [SAFE, 'via'],
  },
];

runMutationSuite('contract mutations on wire types and verdicts', mutations);
