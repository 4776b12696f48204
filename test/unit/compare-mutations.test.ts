/**
 * Mutation suite for the contract-evolution checker: realistic edits to an email task's input and
 * result, each with the verdict a reviewer would give for a queued job (`accepts`) and for a
 * client built from the old contract (`produces`), and the path the breaking change must name.
 */
import { z } from 'zod';
import { BREAKS, type Mutation, runMutationSuite, SAFE, type Shape } from '../fixtures/mutation-suite.ts';

const sendInput = {
  to: z.email(),
  cc: z.array(z.email()).max(50).optional(),
  from: z.object({ name: z.string().max(200).optional(), address: z.email() }).optional(),
  replyTo: z.string().optional(),
  subject: z.string().min(1).max(998),
  html: z.string(),
  priority: z.enum(['low', 'normal', 'high']),
  attempts: z.number().int().min(1).max(10),
  externalId: z.union([z.string(), z.number()]).optional(),
  trackOpens: z.boolean().default(true),
  sendAt: z.date().optional(),
  tags: z.map(z.string(), z.number()).optional(),
};

const sendResult = {
  messageId: z.string(),
  acceptedAt: z.date(),
  accepted: z.array(z.email()),
  transport: z.enum(['smtp', 'outbox']),
  outboxPath: z.string().optional(),
  stats: z.object({ sizeBytes: z.int().min(0), sha256: z.string().length(64) }),
};

const without = (shape: Shape, key: string): Shape => Object.fromEntries(Object.entries(shape).filter(([k]) => k !== key));

const mutations: Mutation[] = [
  { name: 'no change', base: sendInput, edit: (s) => ({ ...s }), accepts: [SAFE, null], produces: [SAFE, null] },
  { name: 'field removed', base: sendInput, edit: (s) => without(s, 'html'), accepts: [SAFE, 'html'], produces: [BREAKS, 'html'] },
  {
    name: 'optional → required',
    base: sendInput,
    edit: (s) => ({ ...s, cc: z.array(z.email()).max(50) }),
    accepts: [BREAKS, 'cc'],
    produces: [SAFE, 'cc'],
  },
  {
    name: 'required → optional',
    base: sendInput,
    edit: (s) => ({ ...s, subject: z.string().min(1).max(998).optional() }),
    accepts: [SAFE, 'subject'],
    produces: [BREAKS, 'subject'],
  },
  {
    name: 'optional field added',
    base: sendInput,
    edit: (s) => ({ ...s, bcc: z.array(z.email()).max(50).optional() }),
    accepts: [SAFE, 'bcc'],
    produces: [SAFE, 'bcc'],
  },
  {
    name: 'required field added',
    base: sendInput,
    edit: (s) => ({ ...s, listId: z.string() }),
    accepts: [BREAKS, 'listId'],
    produces: [SAFE, 'listId'],
  },
  {
    name: 'field added with a default',
    base: sendInput,
    edit: (s) => ({ ...s, locale: z.string().default('en') }),
    accepts: [SAFE, 'locale'],
    produces: [SAFE, 'locale'],
  },
  {
    name: 'union narrowed to one member',
    base: sendInput,
    edit: (s) => ({ ...s, externalId: z.string().optional() }),
    accepts: [BREAKS, 'externalId'],
    produces: [SAFE, 'externalId'],
  },
  {
    name: 'union widened with a member',
    base: sendInput,
    edit: (s) => ({ ...s, externalId: z.union([z.string(), z.number(), z.bigint()]).optional() }),
    accepts: [SAFE, 'externalId'],
    produces: [BREAKS, 'externalId'],
  },
  {
    name: 'number → int (Map value)',
    base: sendInput,
    edit: (s) => ({ ...s, tags: z.map(z.string(), z.int()).optional() }),
    accepts: [BREAKS, 'tags{}'],
    produces: [SAFE, 'tags{}'],
  },
  {
    name: 'int → number',
    base: sendInput,
    edit: (s) => ({ ...s, attempts: z.number().min(1).max(10) }),
    accepts: [SAFE, 'attempts'],
    produces: [BREAKS, 'attempts'],
  },
  {
    name: 'type widened (one address or many)',
    base: sendInput,
    edit: (s) => ({ ...s, to: z.union([z.email(), z.array(z.email()).min(1)]) }),
    accepts: [SAFE, 'to'],
    produces: [BREAKS, 'to'],
  },
  {
    name: 'nullable added',
    base: sendInput,
    edit: (s) => ({ ...s, html: z.string().nullable() }),
    accepts: [SAFE, 'html'],
    produces: [BREAKS, 'html'],
  },
  {
    name: 'enum value removed',
    base: sendInput,
    edit: (s) => ({ ...s, priority: z.enum(['low', 'normal']) }),
    accepts: [BREAKS, 'priority'],
    produces: [SAFE, 'priority'],
  },
  {
    name: 'enum value added',
    base: sendInput,
    edit: (s) => ({ ...s, priority: z.enum(['low', 'normal', 'high', 'urgent']) }),
    accepts: [SAFE, 'priority'],
    produces: [BREAKS, 'priority'],
  },
  {
    name: 'minLength raised',
    base: sendInput,
    edit: (s) => ({ ...s, subject: z.string().min(3).max(998) }),
    accepts: [BREAKS, 'subject'],
    produces: [SAFE, 'subject'],
  },
  {
    name: 'minLength lowered',
    base: sendInput,
    edit: (s) => ({ ...s, subject: z.string().max(998) }),
    accepts: [SAFE, 'subject'],
    produces: [BREAKS, 'subject'],
  },
  {
    name: 'maxLength raised',
    base: sendInput,
    edit: (s) => ({ ...s, subject: z.string().min(1).max(2000) }),
    accepts: [SAFE, 'subject'],
    produces: [BREAKS, 'subject'],
  },
  {
    name: 'maxLength lowered',
    base: sendInput,
    edit: (s) => ({ ...s, subject: z.string().min(1).max(200) }),
    accepts: [BREAKS, 'subject'],
    produces: [SAFE, 'subject'],
  },
  {
    name: 'minimum raised',
    base: sendInput,
    edit: (s) => ({ ...s, attempts: z.number().int().min(2).max(10) }),
    accepts: [BREAKS, 'attempts'],
    produces: [SAFE, 'attempts'],
  },
  {
    name: 'maximum raised',
    base: sendInput,
    edit: (s) => ({ ...s, attempts: z.number().int().min(1).max(20) }),
    accepts: [SAFE, 'attempts'],
    produces: [BREAKS, 'attempts'],
  },
  {
    name: 'pattern added',
    base: sendInput,
    edit: (s) => ({
      ...s,
      subject: z
        .string()
        .min(1)
        .max(998)
        .regex(/^[^\r\n]*$/),
    }),
    accepts: [BREAKS, 'subject'],
    produces: [SAFE, 'subject'],
  },
  {
    name: 'format added (string → email)',
    base: sendInput,
    edit: (s) => ({ ...s, replyTo: z.email().optional() }),
    accepts: [BREAKS, 'replyTo'],
    produces: [SAFE, 'replyTo'],
  },
  {
    name: 'format removed (email → string)',
    base: sendInput,
    edit: (s) => ({ ...s, to: z.string() }),
    accepts: [SAFE, 'to'],
    produces: [BREAKS, 'to'],
  },
  {
    name: 'array maxItems lowered',
    base: sendInput,
    edit: (s) => ({ ...s, cc: z.array(z.email()).max(10).optional() }),
    accepts: [BREAKS, 'cc'],
    produces: [SAFE, 'cc'],
  },
  {
    name: 'array maxItems raised',
    base: sendInput,
    edit: (s) => ({ ...s, cc: z.array(z.email()).max(100).optional() }),
    accepts: [SAFE, 'cc'],
    produces: [BREAKS, 'cc'],
  },
  {
    name: 'array element type changed',
    base: sendInput,
    edit: (s) => ({
      ...s,
      cc: z
        .array(z.object({ address: z.email(), name: z.string() }))
        .max(50)
        .optional(),
    }),
    accepts: [BREAKS, 'cc[]'],
    produces: [BREAKS, 'cc[]'],
  },
  {
    name: 'array → Set',
    base: sendInput,
    edit: (s) => ({ ...s, cc: z.set(z.email()).max(50).optional() }),
    accepts: [BREAKS, 'cc'],
    produces: [BREAKS, 'cc'],
  },
  {
    name: 'Date → string',
    base: sendInput,
    edit: (s) => ({ ...s, sendAt: z.iso.datetime().optional() }),
    accepts: [BREAKS, 'sendAt'],
    produces: [BREAKS, 'sendAt'],
  },
  {
    name: 'optional Date added',
    base: sendInput,
    edit: (s) => ({ ...s, expiresAt: z.date().optional() }),
    accepts: [SAFE, 'expiresAt'],
    produces: [SAFE, 'expiresAt'],
  },
  {
    name: 'Map value type changed',
    base: sendInput,
    edit: (s) => ({ ...s, tags: z.map(z.string(), z.string()).optional() }),
    accepts: [BREAKS, 'tags{}'],
    produces: [BREAKS, 'tags{}'],
  },
  {
    name: 'Map key narrowed',
    base: sendInput,
    edit: (s) => ({ ...s, tags: z.map(z.string().max(64), z.number()).optional() }),
    accepts: [BREAKS, 'tags{key}'],
    produces: [SAFE, 'tags{key}'],
  },
  {
    name: 'Map → record',
    base: sendInput,
    edit: (s) => ({ ...s, tags: z.record(z.string(), z.number()).optional() }),
    accepts: [BREAKS, 'tags'],
    produces: [BREAKS, 'tags'],
  },
  {
    name: 'nested object field removed',
    base: sendInput,
    edit: (s) => ({ ...s, from: z.object({ name: z.string().max(200).optional() }).optional() }),
    accepts: [SAFE, 'from.address'],
    produces: [BREAKS, 'from.address'],
  },
  {
    name: 'nested field became required',
    base: sendInput,
    edit: (s) => ({ ...s, from: z.object({ name: z.string().max(200), address: z.email() }).optional() }),
    accepts: [BREAKS, 'from.name'],
    produces: [SAFE, 'from.name'],
  },
  {
    name: 'default changed',
    base: sendInput,
    edit: (s) => ({ ...s, trackOpens: z.boolean().default(false) }),
    accepts: [SAFE, 'trackOpens'],
    produces: [SAFE, 'trackOpens'],
  },
  {
    name: 'default removed',
    base: sendInput,
    edit: (s) => ({ ...s, trackOpens: z.boolean() }),
    accepts: [BREAKS, 'trackOpens'],
    produces: [SAFE, 'trackOpens'],
  },
  {
    name: 'description added',
    base: sendInput,
    edit: (s) => ({ ...s, html: z.string().describe('The HTML body') }),
    accepts: [SAFE, null],
    produces: [SAFE, null],
  },
  {
    name: 'result: field removed',
    base: sendResult,
    edit: (s) => ({ ...s, stats: z.object({ sizeBytes: z.int().min(0) }) }),
    accepts: [SAFE, 'stats.sha256'],
    produces: [BREAKS, 'stats.sha256'],
  },
  {
    name: 'result: enum value added',
    base: sendResult,
    edit: (s) => ({ ...s, transport: z.enum(['smtp', 'outbox', 'ses']) }),
    accepts: [SAFE, 'transport'],
    produces: [BREAKS, 'transport'],
  },
  {
    name: 'result: optional → required',
    base: sendResult,
    edit: (s) => ({ ...s, outboxPath: z.string() }),
    accepts: [BREAKS, 'outboxPath'],
    produces: [SAFE, 'outboxPath'],
  },
  {
    name: 'result: required → optional',
    base: sendResult,
    edit: (s) => ({ ...s, messageId: z.string().optional() }),
    accepts: [SAFE, 'messageId'],
    produces: [BREAKS, 'messageId'],
  },
  {
    name: 'result: Date → epoch number',
    base: sendResult,
    edit: (s) => ({ ...s, acceptedAt: z.number() }),
    accepts: [BREAKS, 'acceptedAt'],
    produces: [BREAKS, 'acceptedAt'],
  },
  {
    name: 'result: field added',
    base: sendResult,
    edit: (s) => ({ ...s, provider: z.string() }),
    accepts: [BREAKS, 'provider'],
    produces: [SAFE, 'provider'],
  },
  {
    name: 'result: nested int → number',
    base: sendResult,
    edit: (s) => ({ ...s, stats: z.object({ sizeBytes: z.number().min(0), sha256: z.string().length(64) }) }),
    accepts: [SAFE, 'stats.sizeBytes'],
    produces: [BREAKS, 'stats.sizeBytes'],
  },
  {
    name: 'result: array element narrowed',
    base: sendResult,
    edit: (s) => ({ ...s, accepted: z.array(z.email().max(254)) }),
    accepts: [BREAKS, 'accepted[]'],
    produces: [SAFE, 'accepted[]'],
  },
];

runMutationSuite('contract mutations', mutations, { atLeast: 24 });
