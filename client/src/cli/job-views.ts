import type { JobView } from '@taskwire/shared';
import type { CliContext } from './context.ts';
import { formatValue, renderBlock, renderTable, truncate } from './render.ts';

/**
 * A job as a `key: value` block, the fields a person looks for first.
 *
 * @example
 * ctx.output(await ctx.client.jobs.get(id), renderJobView);
 */
export function renderJobView(view: JobView): string {
  return renderBlock({
    id: view.id,
    task: view.task,
    state: view.state,
    attempts: `${view.attemptsMade}/${view.attempts}`,
    priority: view.priority,
    version: view.version,
    deferrals: view.deferrals > 0 ? view.deferrals : undefined,
    enqueuedAt: view.enqueuedAt,
    runAt: view.runAt,
    startedAt: view.startedAt,
    finishedAt: view.finishedAt,
    progress: view.progress,
    error: view.error ?? undefined,
    input: view.input,
    result: view.result,
  });
}

/** Jobs as a table, newest first as the API lists them; `(no jobs)` when empty. */
export function renderJobTable(views: readonly JobView[]): string {
  if (views.length === 0) return '(no jobs)';
  return renderTable(
    [
      { title: 'ID' },
      { title: 'TASK' },
      { title: 'STATE' },
      { title: 'ATTEMPTS', align: 'right' },
      { title: 'ENQUEUED' },
      { title: 'FINISHED' },
      { title: 'ERROR' },
    ],
    views.map((view) => [
      view.id,
      view.task,
      view.state,
      `${view.attemptsMade}/${view.attempts}`,
      formatValue(view.enqueuedAt),
      formatValue(view.finishedAt),
      view.error ? truncate(`${view.error.code}: ${view.error.message}`, 80) : '',
    ]),
  );
}

/**
 * Says on stderr how to get the next page, when there is one; stdout stays the jobs alone (the
 * table, or the JSON array), so pipes read them as before.
 *
 * @example
 * noteNextPage(ctx, page.nextCursor); // next page: --cursor eyJzdGF0ZSI6…
 */
export function noteNextPage(ctx: CliContext, nextCursor: string | null): void {
  if (nextCursor !== null) ctx.note(`next page: --cursor ${nextCursor}`);
}
