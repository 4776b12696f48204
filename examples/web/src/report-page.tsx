import { useMutation } from '@tanstack/react-query';
import type { TaskwireClient } from '@taskwire/client';
import { useJob } from '@taskwire/client/react';
import type { ErrorInfo, TaskProgress } from '@taskwire/shared';
import type { TaskwireError } from '@taskwire/shared/wire';
import { type FormEvent, useEffect, useState } from 'react';
import { type Families, type ReportGrant, reportFileUrl, requestReport } from './api.ts';
import { ErrorNote } from './error-note.tsx';

type ReportProgress = TaskProgress<Families['reports']['tasks']['generate']>;

/** Asks the page's server for a report, then follows the job live from the API. */
export function ReportPage({ tw, apiUrl }: { tw: TaskwireClient<Families>; apiUrl: string }) {
  const [title, setTitle] = useState('Job activity');
  const [days, setDays] = useState(1);
  const [unknownFamily, setUnknownFamily] = useState(false);
  const start = useMutation<ReportGrant, TaskwireError, Parameters<typeof requestReport>[0]>({ mutationFn: requestReport });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // A family the deployment does not have makes the job fail on the worker, with its code.
    start.mutate({ title, days, ...(unknownFamily ? { families: ['reports', 'invoices'] } : {}) });
  };

  return (
    <section>
      <h1>Job activity report</h1>
      <form onSubmit={submit}>
        <label>
          Title <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} required />
        </label>
        <label>
          Over the last{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            <option value={1}>day</option>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={unknownFamily} onChange={(e) => setUnknownFamily(e.target.checked)} /> include a family that does
          not exist (the job fails)
        </label>
        <button type="submit" disabled={start.isPending}>
          {start.isPending ? 'Enqueueing…' : 'Generate report'}
        </button>
      </form>
      {start.error && <ErrorNote error={start.error} apiUrl={apiUrl} />}
      {start.data && <ReportJob key={start.data.job.id} tw={tw} grant={start.data} apiUrl={apiUrl} />}
    </section>
  );
}

/** The line under the bar: where the job is, in words. */
function stageLine(state: string | undefined, progress: ReportProgress | null | undefined, followed: boolean): string {
  if (!followed)
    return progress ? `No longer followed; last seen at step ${progress.step} of ${progress.of} (${progress.stage})` : 'Not followed';
  if (state === 'completed') return 'Done';
  if (state === 'failed') return progress ? `Failed at step ${progress.step} (${progress.stage})` : 'Failed';
  if (progress) return `Step ${progress.step} of ${progress.of}: ${progress.stage}`;
  return state === 'active' ? 'Starting…' : 'Waiting for a worker…';
}

/** One report job: a bar with its steps as they come, then the result or the error. */
function ReportJob({ tw, grant, apiUrl }: { tw: TaskwireClient<Families>; grant: ReportGrant; apiUrl: string }) {
  const { data: job, error, failureCount, isFetching } = useJob(tw.reports.generate, grant.job, { token: grant.token });
  const [steps, setSteps] = useState<ReportProgress[]>([]);
  const progress = job?.progress;
  useEffect(() => {
    if (progress) setSteps((seen) => (seen.some((s) => s.step === progress.step) ? seen : [...seen, progress]));
  }, [progress]);

  const of = progress?.of ?? steps.at(-1)?.of ?? 1;
  const done = job?.state === 'completed';
  const failure: ErrorInfo | null = error ?? job?.error ?? null;
  return (
    <article className="job" data-job={grant.job.id} data-state={job?.state ?? 'connecting'}>
      <h2>
        Job <code>{grant.job.id}</code> <span className={`state ${job?.state ?? 'unknown'}`}>{job?.state ?? 'connecting'}</span>
      </h2>
      <progress
        aria-label="Report progress"
        max={of}
        value={done ? of : (progress?.step ?? 0)}
        data-step={progress?.step ?? 0}
        data-stage={progress?.stage ?? ''}
      />
      <p className="stage">{stageLine(job?.state, progress, !error)}</p>
      <ol className="steps">
        {steps.map((s) => (
          <li key={s.step} className={!done && s.step === progress?.step ? 'current' : 'done'} data-stage={s.stage}>
            <span>{s.stage}</span>
            {s.detail && <small>{s.detail}</small>}
          </li>
        ))}
      </ol>
      {failureCount > 0 && isFetching && !failure && <p className="note">Connection lost; reconnecting (try {failureCount} of 3)…</p>}
      {job?.result && (
        <dl className="result" data-testid="result">
          <dt>Rows</dt>
          <dd data-rows={job.result.rows}>{job.result.rows}</dd>
          <dt>Size</dt>
          <dd>{job.result.bytes.toLocaleString()} bytes</dd>
          <dt>SHA-256</dt>
          <dd>
            <code>{job.result.sha256}</code>
          </dd>
          <dt>File</dt>
          <dd>
            <a href={reportFileUrl(grant)} download>
              Download {job.result.path.split('/').at(-1)}
            </a>
          </dd>
        </dl>
      )}
      {failure && <ErrorNote error={failure} apiUrl={apiUrl} />}
      <p className="fine">
        Followed with a token for this job only, valid until {grant.expiresAt.toLocaleTimeString()} (enqueued{' '}
        {grant.job.enqueuedAt.toLocaleTimeString()}).
      </p>
    </article>
  );
}
