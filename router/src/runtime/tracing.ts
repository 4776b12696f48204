import type { IncomingHttpHeaders } from 'node:http';
import { type Context, context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AnyTask } from '@taskwire/shared';
import { tracingEnabled } from '@taskwire/shared/node';

// A proxy until the application registers an OpenTelemetry SDK; every call is a no-op before.
const tracer = trace.getTracer('taskwire-router');

/** The trace context a request arrived with (`traceparent` header), on top of the active one. */
export function requestTraceContext(headers: IncomingHttpHeaders): Context {
  return propagation.extract(context.active(), headers);
}

/**
 * Runs an enqueue inside a PRODUCER span that is a child of the request's trace, and hands the
 * span's W3C `traceparent` to `enqueue`, which stores it in each job's envelope: the worker's
 * span for the job then continues the same trace. Without an SDK this costs nothing.
 */
export async function traceEnqueue<T>(
  parent: Context | undefined,
  task: AnyTask,
  jobs: number,
  enqueue: (traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled('taskwire-router')) return enqueue(undefined);
  return tracer.startActiveSpan(
    `${task.id} enqueue`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': task.family,
        'messaging.batch.message_count': jobs,
        'taskwire.task': task.id,
      },
    },
    parent ?? context.active(),
    async (span) => {
      try {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        return await enqueue(carrier.traceparent);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
