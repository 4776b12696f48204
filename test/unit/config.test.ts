import { ConfigError, env, loadConfig } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const schema = z.object({
  PORT: env.port.default(3000),
  REDIS_URL: env.redisUrl.default('redis://127.0.0.1:6379'),
  TASKWIRE_API_TOKEN: env.string.optional(),
});

describe('loadConfig', () => {
  it('applies defaults, treating empty variables as unset', () => {
    expect(loadConfig(schema, { PORT: '', REDIS_URL: '' })).toEqual({ PORT: 3000, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(loadConfig(schema, { PORT: '8080', TASKWIRE_API_TOKEN: 't' })).toMatchObject({ PORT: 8080, TASKWIRE_API_TOKEN: 't' });
  });

  it('names every bad variable with what was expected, keeping secrets out', () => {
    let error: unknown;
    try {
      loadConfig(z.object({ ...schema.shape, TASKWIRE_API_TOKEN: z.string().min(10) }), {
        PORT: 'http',
        REDIS_URL: 'http://user:hunter2@host:1',
        TASKWIRE_API_TOKEN: 'short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT: .*\(got 'http'\)/);
    expect(message).toMatch(/REDIS_URL: expected redis:\/\/host:port or rediss:\/\/… \(got 'http:\/\/\*\*\*@host:1'\)/);
    expect(message).toMatch(/TASKWIRE_API_TOKEN: .*\(got '\*\*\*'\)/);
    expect(message).not.toMatch(/hunter2|short'/);
  });
});
