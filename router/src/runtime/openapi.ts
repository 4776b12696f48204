import {
  type AnyTask,
  ERROR_CODES,
  enqueueOptionsSchema,
  JOB_STATES,
  type JsonSchema,
  listTasks,
  type Registry,
  wireJsonSchema,
} from '@taskwire/shared';

/**
 * REST speaks plain JSON (see rest.ts): the lock-file schemas are adjusted where JSON differs from
 * superjson — bigints travel as decimal strings.
 */
function restSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(restSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, restSchema(v)]));
  if (out['x-wire'] === 'bigint') {
    // The lock writes a bigint's bounds and step as decimal strings, which no numeric keyword takes.
    delete out.minimum;
    delete out.maximum;
    delete out.multipleOf;
    Object.assign(out, { type: 'string', pattern: '^[+-]?\\d+$' });
  }
  return out;
}

const dateTime = { type: 'string', format: 'date-time' };
const nullable = (schema: unknown) => ({ anyOf: [schema, { type: 'null' }] });

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: { type: 'array', items: { type: ['string', 'integer'] } }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};

function errors(...statuses: number[]) {
  const text: Record<number, string> = {
    400: 'Invalid input (INVALID_INPUT, with the field issues)',
    401: 'Missing or unknown token',
    403: 'The token lacks the scope',
    404: 'No such job of this task',
    413: 'Payload too large',
    429: 'Rate limit of the token exceeded',
    503: 'The queue (Redis) is unreachable',
  };
  return Object.fromEntries(
    statuses.map((s) => [s, { description: text[s], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );
}

function jobView(task: AnyTask) {
  return {
    type: 'object',
    required: ['id', 'task', 'state', 'version', 'input', 'attemptsMade', 'attempts', 'enqueuedAt'],
    properties: {
      id: { type: 'string' },
      task: { const: task.id },
      state: { type: 'string', enum: [...JOB_STATES] },
      version: { type: 'integer' },
      deferrals: { type: 'integer' },
      input: restSchema(wireJsonSchema(task.input, 'output')),
      progress: nullable(restSchema(wireJsonSchema(task.progress, 'output'))),
      result: nullable(restSchema(wireJsonSchema(task.output, 'output'))),
      error: nullable({ $ref: '#/components/schemas/Error/properties/error' }),
      attemptsMade: { type: 'integer' },
      attempts: { type: 'integer' },
      priority: nullable({ type: 'integer' }),
      enqueuedAt: dateTime,
      runAt: nullable(dateTime),
      startedAt: nullable(dateTime),
      finishedAt: nullable(dateTime),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the REST endpoints, generated from the registry's contracts: one
 * enqueue and one get operation per task, with the task's own input and result schemas.
 *
 * @example
 * const doc = buildOpenApi(families); // doc.paths['/api/v1/email/send/jobs'].post
 */
export function buildOpenApi(registry: Registry): JsonSchema {
  const paths: Record<string, unknown> = {};
  for (const task of listTasks(registry)) {
    const base = `/api/v1/${task.family}/${task.name}/jobs`;
    paths[base] = {
      post: {
        operationId: `${task.id}.enqueue`,
        summary: `Enqueue ${task.id}${task.description ? `: ${task.description}` : ''}`,
        tags: [task.family],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['input'],
                properties: {
                  input: restSchema(wireJsonSchema(task.input, 'input')),
                  options: restSchema(wireJsonSchema(enqueueOptionsSchema, 'input')),
                },
              },
            },
          },
        },
        responses: {
          201: { description: 'Enqueued', content: { 'application/json': { schema: { $ref: '#/components/schemas/JobRef' } } } },
          ...errors(400, 401, 403, 413, 429, 503),
        },
      },
    };
    paths[`${base}/{id}`] = {
      get: {
        operationId: `${task.id}.get`,
        summary: `A ${task.id} job, with its typed input, progress and result`,
        tags: [task.family],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The id from the JobRef' }],
        responses: {
          200: { description: 'The job', content: { 'application/json': { schema: jobView(task) } } },
          ...errors(401, 403, 404, 503),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'taskwire',
      version: '1',
      description:
        'Enqueue tasks and read their jobs over plain JSON. Dates are ISO 8601 strings, bigints decimal strings, Maps `[[key, value], …]`, Sets arrays.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        JobRef: {
          type: 'object',
          required: ['id', 'task', 'enqueuedAt', 'deduplicated'],
          properties: { id: { type: 'string' }, task: { type: 'string' }, enqueuedAt: dateTime, deduplicated: { type: 'boolean' } },
        },
        Error: ERROR_SCHEMA,
      },
    },
  };
}
