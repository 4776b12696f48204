import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { noteNextPage, renderJobTable } from '../job-views.ts';

/** The states `list --state` accepts (as `jobs.list`). */
export const LIST_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed'] as const;

/** `taskwire list [--family F] [--state S] [--limit N] [--cursor C | --offset N]`. */
export const listCommand: Command = {
  name: 'list',
  synopsis: 'list [--family F] [--state waiting|delayed|active|completed|failed] [--limit N] [--cursor C | --offset N]',
  summary: 'List jobs in one state, newest first',
  details: `  --family F     one family (default: every family the token may read)
  --state S      waiting, delayed, active, completed or failed (default: failed)
  --limit N      at most N jobs, 1–100 (default: 20)
  --cursor C     the next page: C as printed on stderr after the previous one
  --offset N     skip the first N (one family only; across families use --cursor)`,
  options: ['family', 'state', 'limit', 'cursor', 'offset'],
  args: { min: 0, max: 0 },
  async run(ctx, { options }) {
    const family = options.string('family');
    const state = options.choice('state', LIST_STATES);
    const limit = options.integer('limit', 1);
    const cursor = options.string('cursor');
    const offset = options.integer('offset', 0);
    if (cursor !== undefined && offset !== undefined) throw options.usage('give --cursor or --offset, not both');
    const page = await ctx.client.jobs.page({
      ...(family === undefined ? {} : { family: ctx.catalog.resolveFamily(family, 'list') }),
      ...(state === undefined ? {} : { state }),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(offset === undefined ? {} : { offset }),
    });
    ctx.output(page.jobs, renderJobTable);
    noteNextPage(ctx, page.nextCursor);
    return EXIT.ok;
  },
};
