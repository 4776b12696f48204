import type { AnyTask, ScheduleInput, ScheduleView } from '@taskwire/shared';
import { fromJson } from '@taskwire/shared';
import { readJsonArgument } from '../args.ts';
import { taskClient } from '../catalog.ts';
import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { formatJson } from '../json.ts';
import { formatValue, renderBlock, renderTable } from '../render.ts';

/** `taskwire schedules list <task>`. */
export const schedulesListCommand: Command = {
  name: 'schedules list',
  synopsis: 'schedules list <family.task>',
  summary: 'List the recurring jobs of a task',
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [id] }) {
    const task = ctx.catalog.resolveTask(id!, 'schedules list');
    ctx.output(await taskClient(ctx.client, task).schedules.list(), renderSchedules);
    return EXIT.ok;
  },
};

/** `taskwire schedules upsert <task> <key> (--cron EXPR [--tz TZ] | --every-ms N) <json>`. */
export const schedulesUpsertCommand: Command = {
  name: 'schedules upsert',
  synopsis:
    'schedules upsert <family.task> <key> (--cron EXPR [--tz TZ] | --every-ms N) <json|@file|-> [--priority N] [--attempts N] [--timeout-ms N]',
  summary: 'Create or replace the recurring job <key> of a task (idempotent)',
  details: `  --cron EXPR      a cron pattern, e.g. '0 3 * * *' (with --tz, an IANA time zone)
  --every-ms N     every N ms (at least 1000)
The input JSON is converted as for enqueue (ISO strings to Dates…) and validated by the API.

Example:
  taskwire schedules upsert maintenance.cleanJobs nightly --cron '0 3 * * *' --tz Europe/Paris '{"olderThanMs":86400000}'`,
  options: ['cron', 'tz', 'every-ms', 'priority', 'attempts', 'timeout-ms'],
  args: { min: 3, max: 3 },
  async run(ctx, { args: [id, key, json], options }) {
    const task = ctx.catalog.resolveTask(id!, 'schedules upsert');
    const cron = options.string('cron');
    const tz = options.string('tz');
    const everyMs = options.integer('every-ms', 1);
    if ((cron === undefined) === (everyMs === undefined)) throw options.usage('give exactly one of --cron or --every-ms');
    if (tz !== undefined && cron === undefined) throw options.usage('--tz goes with --cron');
    const input = fromJson(task.input, readJsonArgument(json!, 'schedules upsert'));
    const priority = options.integer('priority', 1);
    const attempts = options.integer('attempts', 1);
    const timeoutMs = options.integer('timeout-ms', 1);
    const jobOptions = {
      ...(priority === undefined ? {} : { priority }),
      ...(attempts === undefined ? {} : { attempts }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    };
    const schedule: ScheduleInput<AnyTask> = {
      key: key!,
      input,
      ...(Object.keys(jobOptions).length ? { options: jobOptions } : {}),
      ...(cron !== undefined ? { cron, ...(tz === undefined ? {} : { tz }) } : { everyMs: everyMs! }),
    } as ScheduleInput<AnyTask>;
    ctx.output(await taskClient(ctx.client, task).schedules.upsert(schedule), (view) => renderBlock({ ...view }));
    return EXIT.ok;
  },
};

/** `taskwire schedules remove <task> <key>`. */
export const schedulesRemoveCommand: Command = {
  name: 'schedules remove',
  synopsis: 'schedules remove <family.task> <key>',
  summary: 'Remove the recurring job <key> of a task',
  options: [],
  args: { min: 2, max: 2 },
  async run(ctx, { args: [id, key] }) {
    const task = ctx.catalog.resolveTask(id!, 'schedules remove');
    ctx.output(await taskClient(ctx.client, task).schedules.remove(key!), (r) =>
      r.removed ? `schedule ${r.key} removed` : `no schedule ${r.key} (nothing removed)`,
    );
    return EXIT.ok;
  },
};

function renderSchedules(views: readonly ScheduleView[]): string {
  if (views.length === 0) return '(no schedules)';
  return renderTable(
    [{ title: 'KEY' }, { title: 'SCHEDULE' }, { title: 'TZ' }, { title: 'NEXT' }, { title: 'INPUT' }],
    views.map((view) => [
      view.key,
      view.cron ?? (view.everyMs === null ? '-' : `${view.everyMs}ms`),
      formatValue(view.tz),
      formatValue(view.next),
      formatJson(view.input),
    ]),
  );
}
