// Turning tracing on: one tracer provider per process (OTLP/HTTP JSON export in
// batches), W3C trace context, and a context manager: synchronous by default,
// AsyncLocalStorage where a span must stay the parent across awaits
// (enableAsyncContext). Loaded only when tracing is on (start.ts), so the SDK
// costs no memory otherwise.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Tracing, TracingConfig } from './start';
import { state } from './state';
import { SyncContextManager } from './sync-context';

/** The active span follows awaits from now on (AsyncLocalStorage). */
export function enableAsyncContext(): void {
  context.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Tracing on: register the SDK globally (exporter: for tests). */
export function setupTracing(service: string, config: TracingConfig, exporter?: SpanExporter): Tracing {
  exporter ??= new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME || service }),
    // Only the edge starts traces (one per client stanza), and it samples
    // before asking for a span (spans.ts), so an unsampled stanza makes no
    // span object at all; every other span follows its remote parent.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY })],
  });
  context.setGlobalContextManager(new SyncContextManager());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  state.ratio = config.OTEL_TRACES_SAMPLER_ARG;
  state.on = true;
  state.tracer = trace.getTracer('cloud-xmpp');
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      state.on = false;
      state.tracer = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
