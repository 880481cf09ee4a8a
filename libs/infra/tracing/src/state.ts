// The one flag the hot paths read: false unless startTracing turned tracing on.
import type { Tracer } from '@opentelemetry/api';

export const state: { on: boolean; tracer: Tracer | undefined } = { on: false, tracer: undefined };

/** Is tracing on in this process? A property read: call it before doing anything else for a trace. */
export function tracingOn(): boolean {
  return state.on;
}
