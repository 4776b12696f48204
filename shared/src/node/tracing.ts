import { ProxyTracerProvider, trace } from '@opentelemetry/api';

/**
 * Whether an OpenTelemetry SDK is registered. Without one every span is a no-op, but starting it
 * still costs a few microseconds per job (span and context objects), which the hot paths skip.
 *
 * @example
 * if (!tracingEnabled('taskwire-worker')) return run();
 */
export function tracingEnabled(tracerName: string): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(tracerName) !== undefined;
}
