import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { renderBlock } from '../render.ts';

/** `taskwire health`: exit 0 when the API and its Redis are fine, 1 when degraded. */
export const healthCommand: Command = {
  name: 'health',
  synopsis: 'health',
  summary: 'API status: Redis connection and latency, families served, uptime (exit 1 when degraded)',
  options: [],
  args: { min: 0, max: 0 },
  async run(ctx) {
    const health = await ctx.client.health();
    ctx.output(health, (h) => renderBlock({ ...h }));
    return health.status === 'ok' ? EXIT.ok : EXIT.failed;
  },
};
