import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { renderJobView } from '../job-views.ts';

/** `taskwire get <id>`. */
export const getCommand: Command = {
  name: 'get',
  synopsis: 'get <id>',
  summary: 'Show a job: state, attempts, times, input, progress, result or error',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [id] }) {
    ctx.output(await ctx.client.jobs.get(id!), renderJobView);
    return EXIT.ok;
  },
};
