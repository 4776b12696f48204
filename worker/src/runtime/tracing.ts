import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingEnabled } from '@taskwire/shared/node';
import type { Job } from 'bullmq';

const tracer = trace.getTracer('taskwire-worker');

/**
 * Runs a job inside a CONSUMER span continuing the trace of the request that enqueued it (its
 * `traceparent` travels in the envelope). Without an OpenTelemetry SDK this is a no-op.
 */
export function traceJob<T>(family: string, job: Job, run: () => Promise<T>): Promise<T> {
  if (!tracingEnabled('taskwire-worker')) return run();
  const traceparent = (job.data as { meta?: { traceparent?: unknown } } | undefined)?.meta?.traceparent;
  const parent = typeof traceparent === 'string' ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  return tracer.startActiveSpan(
    `${family}.${job.name} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': family,
        'messaging.message.id': `${family}.${job.id}`,
        'taskwire.attempt': job.attemptsMade + 1,
      },
    },
    parent,
    async (span) => {
      try {
        return await run();
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
