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
  // An exported but empty variable (`PORT=`) means "unset", so defaults apply.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(set);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const value = set[name];
    return `  ${name}: ${issue.message}${value === undefined ? ' (not set)' : ` (got '${redact(name, value)}')`}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Keeps secrets out of error messages: credentials in URLs and whole values of secret-named variables. */
function redact(name: string, value: string): string {
  if (/TOKEN|SECRET|PASSWORD|KEY/i.test(name)) return '***';
  return value.replace(/\/\/([^@/]*)@/, '//***@');
}

/** Reusable environment fields (see {@link loadConfig}: empty means unset). */
export const env = {
  port: z.coerce.number().int().min(0).max(65_535, 'expected a port number 0–65535'),
  redisUrl: z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://…' }),
  prefix: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1–64 characters from [a-zA-Z0-9_-]'),
  path: z.string().min(1),
  positiveInt: z.coerce.number().int().positive(),
  string: z.string().min(1),
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
