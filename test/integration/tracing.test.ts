import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createClient } from '@taskwire/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});

afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

describe('tracing', () => {
  it("one trace crosses the hop: the worker's span for a job is a child of the span of the request that enqueued it", async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    // The caller's own trace: its traceparent header starts the request.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const client = createClient<typeof labRegistry>({
      url: `${stack.api.url}/trpc`,
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    const ref = await client.lab.steps.enqueue({ count: 1, delayMs: 0 });
    await eventually(async () => ((await stack.client.lab.steps.get(ref.id)).state === 'completed' ? true : undefined));

    const spans = await eventually(() => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'lab.steps process') ? all : undefined;
    });
    const enqueue = spans.find((s) => s.name === 'lab.steps enqueue')!;
    const process = spans.find((s) => s.name === 'lab.steps process')!;
    expect(enqueue.kind).toBe(SpanKind.PRODUCER);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(enqueue.spanContext().traceId).toBe(traceId);
    expect(enqueue.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(process.spanContext().traceId).toBe(traceId);
    expect(process.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
    expect(process.attributes['messaging.message.id']).toBe(ref.id);
    console.log(
      `trace ${traceId}: caller ${callerSpanId} → enqueue ${enqueue.spanContext().spanId} → process ${process.spanContext().spanId}`,
    );
  });
});
