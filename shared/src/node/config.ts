import { z } from 'zod';

/** Raised at start-up when the environment does not validate; its message lists every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates environment variables with a zod schema and returns the typed result. Throws a
 * {@link ConfigError} naming each bad variable, what was expected and what was found.
 *
 * @example
 * const config = loadConfig(z.object({ PORT: port.default(3000) }));
 */
export function loadConfig<TSchema extends z.ZodType>(schema: TSchema, env: NodeJS.ProcessEnv = process.env): z.output<TSchema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const value = env[name];
    return `  ${name}: ${issue.message}${value === undefined ? ' (not set)' : ` (got '${value}')`}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Reusable environment fields. Empty strings count as unset. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);
export const env = {
  port: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65_535, 'expected a port number 0–65535')),
  redisUrl: z.preprocess(unsetIfEmpty, z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://…' })),
  prefix: z.preprocess(unsetIfEmpty, z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1–64 characters from [a-zA-Z0-9_-]')),
  path: z.preprocess(unsetIfEmpty, z.string().min(1)),
  positiveInt: z.preprocess(unsetIfEmpty, z.coerce.number().int().positive()),
  string: z.preprocess(unsetIfEmpty, z.string().min(1)),
};

/**
 * {@link loadConfig} for entry points: on invalid configuration, prints the problems and exits
 * with status 2 instead of throwing a stack trace at the operator.
 */
export function loadConfigOrExit<TSchema extends z.ZodType>(
  schema: TSchema,
  program: string,
  env: NodeJS.ProcessEnv = process.env,
): z.output<TSchema> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${program}: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
