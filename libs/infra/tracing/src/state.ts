// The one flag the hot paths read: false unless startTracing turned tracing on.
import type { Tracer } from '@opentelemetry/api';

/** ratio: the fraction of new traces kept (OTEL_TRACES_SAMPLER_ARG), decided before any span object is made. */
export const state: { on: boolean; ratio: number; tracer: Tracer | undefined } = { on: false, ratio: 1, tracer: undefined };

/** Is tracing on in this process? A property read: call it before doing anything else for a trace. */
export function tracingOn(): boolean {
  return state.on;
}
