import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';

/** `taskwire retry <id>`: a failed job runs again with a full set of attempts. */
export const retryCommand: Command = {
  name: 'retry',
  synopsis: 'retry <id>',
  summary: 'Run a failed job again (with a full set of attempts)',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [id] }) {
    ctx.output(await ctx.client.jobs.retry(id!), (r) => `job ${r.id} queued again (${r.state})`);
    return EXIT.ok;
  },
};

/** `taskwire cancel <id>`: removes a job that has not started, or tells the worker running it to abort. */
export const cancelCommand: Command = {
  name: 'cancel',
  synopsis: 'cancel <id>',
  summary: 'Cancel a job: removed if it has not started, else its worker is told to abort',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [id] }) {
    ctx.output(await ctx.client.jobs.cancel(id!), (r) =>
      r.outcome === 'removed' ? `job ${r.id} removed (it had not started)` : `job ${r.id} cancelling (its worker was told to abort)`,
    );
    return EXIT.ok;
  },
};

/** `taskwire remove <id>`: deletes a job that is not running. */
export const removeCommand: Command = {
  name: 'remove',
  synopsis: 'remove <id>',
  summary: 'Delete a job that is not running (cancel a running one first)',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [id] }) {
    ctx.output(await ctx.client.jobs.remove(id!), (r) => `job ${r.id} removed`);
    return EXIT.ok;
  },
};
