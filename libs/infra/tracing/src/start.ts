// Whether to trace, from the OTEL_* settings; the SDK is loaded only when on.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { state } from './state';

export interface TracingConfig {
  OTEL_TRACES_EXPORTER: 'none' | 'otlp';
  OTEL_EXPORTER_OTLP_ENDPOINT: string;
  OTEL_TRACES_SAMPLER_ARG: number;
  OTEL_SERVICE_NAME: string;
  OTEL_BSP_SCHEDULE_DELAY: number;
}

export interface Tracing {
  /** Export the finished spans now. */
  flush(): Promise<void>;
  /** Export what is still buffered and stop (on shutdown). */
  shutdown(): Promise<void>;
}

/**
 * With tracing on, keep the active span across awaits (AsyncLocalStorage) in
 * this process: for services whose handling of a stanza awaits before it
 * delivers or calls (the router). Costs async_hooks on every asynchronous step.
 */
export async function useAsyncContext(): Promise<void> {
  if (!state.on) return;
  const { enableAsyncContext } = await import('./setup');
  enableAsyncContext();
}

/** Start tracing if the configuration asks for it; undefined when off. (exporter: for tests.) */
export async function startTracing(service: string, config: TracingConfig, exporter?: SpanExporter): Promise<Tracing | undefined> {
  if (config.OTEL_TRACES_EXPORTER !== 'otlp') return undefined;
  const { setupTracing } = await import('./setup');
  return setupTracing(service, config, exporter);
}
