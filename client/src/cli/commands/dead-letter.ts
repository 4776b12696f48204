import type { ReplayResult } from '@taskwire/shared';
import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { noteNextPage, renderJobTable } from '../job-views.ts';

/** `taskwire dead-letter list [--family F] [--limit N] [--cursor C | --offset N]` (admin): failed jobs. */
export const deadLetterListCommand: Command = {
  name: 'dead-letter list',
  synopsis: 'dead-letter list [--family F] [--limit N] [--cursor C | --offset N]',
  summary: 'List failed jobs (admin)',
  details: `  --family F     one family (default: every family)
  --limit N      at most N jobs, 1–100 (default: 20)
  --cursor C     the next page: C as printed on stderr after the previous one
  --offset N     skip the first N (one family only; across families use --cursor)`,
  options: ['family', 'limit', 'cursor', 'offset'],
  args: { min: 0, max: 0 },
  async run(ctx, { options }) {
    const family = options.string('family');
    const limit = options.integer('limit', 1);
    const cursor = options.string('cursor');
    const offset = options.integer('offset', 0);
    if (cursor !== undefined && offset !== undefined) throw options.usage('give --cursor or --offset, not both');
    const page = await ctx.client.deadLetter.page({
      ...(family === undefined ? {} : { family: ctx.catalog.resolveFamily(family, 'dead-letter list') }),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(offset === undefined ? {} : { offset }),
    });
    ctx.output(page.jobs, renderJobTable);
    noteNextPage(ctx, page.nextCursor);
    return EXIT.ok;
  },
};

/** `taskwire dead-letter replay (<id> | --all [--family F])` (admin). */
export const deadLetterReplayCommand: Command = {
  name: 'dead-letter replay',
  synopsis: 'dead-letter replay (<id> | --all [--family F])',
  summary: "Replay failed jobs that still fit today's contract (admin)",
  details: `Each failed job is checked against the task's current contract first; a job whose payload no
longer fits stays failed and is listed as rejected. Exit 1 when any job was rejected.`,
  options: ['all', 'family'],
  args: { min: 0, max: 1 },
  async run(ctx, { args: [id], options }) {
    const all = options.flag('all');
    const family = options.string('family');
    if (all === (id !== undefined)) throw options.usage('give a job id or --all, not both or neither');
    if (family !== undefined && !all) throw options.usage('--family goes with --all');
    const result = await ctx.client.deadLetter.replay(
      id !== undefined
        ? { id }
        : { all: true, ...(family === undefined ? {} : { family: ctx.catalog.resolveFamily(family, 'dead-letter replay') }) },
    );
    ctx.output(result, renderReplay);
    return result.rejected.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

function renderReplay(result: ReplayResult): string {
  const lines = [`replayed ${result.replayed.length} job(s)${result.replayed.length ? `: ${result.replayed.join(', ')}` : ''}`];
  if (result.rejected.length > 0) {
    lines.push(`rejected ${result.rejected.length} job(s) (left failed):`);
    for (const { id, error } of result.rejected) lines.push(`  ${id}: ${error.code}: ${error.message}`);
  }
  return lines.join('\n');
}
