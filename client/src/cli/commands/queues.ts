import type { QueueStats } from '@taskwire/shared';
import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { renderTable } from '../render.ts';

/** `taskwire stats [family]`. */
export const statsCommand: Command = {
  name: 'stats',
  synopsis: 'stats [family]',
  summary: 'Queue counts per family (waiting, delayed, active, completed, failed, paused, workers); jobs waiting on flow limits, by key',
  options: [],
  args: { min: 0, max: 1 },
  async run(ctx, { args: [family] }) {
    const stats = await ctx.client.queues.stats(family === undefined ? undefined : ctx.catalog.resolveFamily(family, 'stats'));
    ctx.output(stats, renderStats);
    return EXIT.ok;
  },
};

/** `taskwire pause <family>` (admin). */
export const pauseCommand: Command = {
  name: 'pause',
  synopsis: 'pause <family>',
  summary: 'Stop every worker of a family from taking new jobs (admin); running jobs finish',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [family] }) {
    ctx.output(await ctx.client.queues.pause(ctx.catalog.resolveFamily(family!, 'pause')), (r) => `${r.family} paused`);
    return EXIT.ok;
  },
};

/** `taskwire resume <family>` (admin). */
export const resumeCommand: Command = {
  name: 'resume',
  synopsis: 'resume <family>',
  summary: 'Let the workers of a paused family take jobs again (admin)',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [family] }) {
    ctx.output(await ctx.client.queues.resume(ctx.catalog.resolveFamily(family!, 'resume')), (r) => `${r.family} resumed`);
    return EXIT.ok;
  },
};

/**
 * Queue counts as a table, numbers right-aligned; then, for tasks with concurrency or rate limits,
 * their running and waiting jobs and the keys with the most waiting.
 */
export function renderStats(stats: readonly QueueStats[]): string {
  const flow = stats.flatMap((s) => s.flow ?? []);
  const lines = flow.map(
    (gate) =>
      `${gate.task}: ${gate.running} running, ${gate.waiting} waiting on a flow limit` +
      (gate.keys.length > 0 ? `; by key: ${gate.keys.map((k) => `${k.key} ${k.waiting} waiting / ${k.running} running`).join(', ')}` : ''),
  );
  return [renderCounts(stats), ...lines].join('\n');
}

function renderCounts(stats: readonly QueueStats[]): string {
  const right = { align: 'right' } as const;
  return renderTable(
    [
      { title: 'FAMILY' },
      { title: 'WAITING', ...right },
      { title: 'DELAYED', ...right },
      { title: 'ACTIVE', ...right },
      { title: 'COMPLETED', ...right },
      { title: 'FAILED', ...right },
      { title: 'PAUSED' },
      { title: 'WORKERS', ...right },
      { title: 'RATE LIMIT' },
    ],
    stats.map((s) => [
      s.family,
      String(s.waiting),
      String(s.delayed),
      String(s.active),
      String(s.completed),
      String(s.failed),
      s.paused ? 'yes' : 'no',
      String(s.workers),
      s.rateLimit
        ? `${s.rateLimit.max}/${s.rateLimit.durationMs}ms${s.rateLimit.limitedForMs > 0 ? ` (limited ${s.rateLimit.limitedForMs}ms)` : ''}`
        : '-',
    ]),
  );
}
