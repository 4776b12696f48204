import { TaskwireError, type WatchEvent } from '@taskwire/shared';
import { JobFailedError } from '../../runtime/errors.ts';
import { taskClient } from '../catalog.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { ProgressDisplay } from '../progress.ts';
import { renderResult } from '../render.ts';
import { reportError } from '../report-error.ts';

/** `taskwire watch <id>`: follows a job to its end; exit 0 when it completes, 1 when it fails. */
export const watchCommand: Command = {
  name: 'watch',
  synopsis: 'watch <id>',
  summary: 'Follow a job: progress (a live bar when measurable), then its result',
  details: `On a terminal: the job's state, a live progress bar when its progress has step/of or a
numeric pct/percentage (otherwise one line per progress event), then the result. Exit 0 when the
job completes, 1 when it fails (its error code and message on stderr). Ctrl-C stops watching; the
job keeps running.

When stdout is not a terminal, or with --json: one JSON line per event, as the client yields them:
  {"type":"state","state":"active"}
  {"type":"progress","progress":{…}}
  {"type":"completed","result":{…}}   or   {"type":"failed","error":{"code":…,"message":…}}
--human forces the terminal form (the bar as one line per update) into a pipe.`,
  options: [],
  args: { min: 1, max: 1 },
  async run(ctx, { args: [id] }) {
    const view = await ctx.client.jobs.get(id!);
    const task = ctx.catalog.findTask(view.task);
    if (!task) throw new TaskwireError('UNKNOWN_TASK', `Job '${id}' is a ${view.task} job, a task this client does not know`);
    const events = taskClient(ctx.client, task).watch(id!);
    const lines = ctx.json || (ctx.io.stdout.isTTY !== true && !ctx.human);
    return lines ? emitLines(ctx, id!, events) : show(ctx, id!, task.id, events);
  },
};

/** JSON lines, one per event. */
async function emitLines(ctx: CliContext, id: string, events: AsyncIterable<WatchEvent>): Promise<number> {
  for await (const event of events) {
    ctx.emit(event);
    if (event.type === 'completed') return EXIT.ok;
    if (event.type === 'failed') return reportError(ctx, new JobFailedError(id, event.error), { document: false });
  }
  throw endedEarly(id);
}

/** The terminal form: states and progress, then the result as a block. */
async function show(ctx: CliContext, id: string, taskId: string, events: AsyncIterable<WatchEvent>): Promise<number> {
  const display = new ProgressDisplay(ctx.io.stdout);
  ctx.print(`job ${id} (${taskId})`);
  try {
    for await (const event of events) {
      switch (event.type) {
        case 'state':
          display.line(`state: ${event.state}`);
          break;
        case 'progress':
          display.update(event.progress);
          break;
        case 'workflow': {
          const { steps, children } = event.workflow;
          const kids = children.pending + children.completed + children.failed;
          display.line(
            `steps: ${steps.join(', ') || 'none yet'}${kids ? ` · children: ${children.completed} completed, ${children.failed} failed, ${children.pending} pending` : ''}`,
          );
          break;
        }
        case 'completed':
          display.line('completed');
          ctx.print(renderResult(event.result));
          return EXIT.ok;
        case 'failed':
          display.line('failed');
          return reportError(ctx, new JobFailedError(id, event.error), { document: false });
      }
    }
  } finally {
    display.stop();
  }
  throw endedEarly(id);
}

function endedEarly(id: string): TaskwireError {
  return new TaskwireError('INTERNAL', `The watch of job ${id} ended without a result`);
}
