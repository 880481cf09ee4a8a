// Spans around stanzas and calls. Every function returns at once when tracing
// is off (one property read, nothing allocated), so callers on the hot path
// may call them unconditionally; a trace crosses processes as a W3C
// `traceparent` string, empty when the stanza is not traced.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { state } from './state';

export { SpanKind, type Attributes, type Span };

/** The traceparent of the context's span when it is sampled, else ''. */
function traceparentOf(ctx: Context): string {
  const span = trace.getSpan(ctx);
  if (!span?.isRecording()) return '';
  const carrier: { traceparent?: string } = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? '';
}

/** The traceparent of the span the caller runs in ('' when none, or off). */
export function activeTraceparent(): string {
  return state.on ? traceparentOf(context.active()) : '';
}

/** The traceparent naming this span as the parent. */
export function spanTraceparent(span: Span): string {
  return traceparentOf(trace.setSpan(ROOT_CONTEXT, span));
}

/**
 * Whether to trace a new unit of work (a client stanza): tracing is on and the
 * draw falls within OTEL_TRACES_SAMPLER_ARG. Decided before any span, name or
 * attribute object is made, so an unsampled stanza allocates nothing.
 */
export function sampleNewTrace(): boolean {
  return state.on && (state.ratio >= 1 || Math.random() < state.ratio);
}

/** Start a new trace the caller chose with sampleNewTrace(); the caller ends the span. */
export function startTrace(name: string, kind: SpanKind, attributes?: Attributes): Span {
  return (state.tracer as NonNullable<typeof state.tracer>).startSpan(name, { kind, attributes, root: true });
}

/** Run fn in a span that continues the trace of a traceparent; without one (or off), just run fn. */
export function continueTrace<T>(traceparent: string, name: string, kind: SpanKind, attributes: Attributes | undefined, fn: () => T): T {
  if (!state.on || !traceparent) return fn();
  return inSpan(propagation.extract(ROOT_CONTEXT, { traceparent }), name, kind, attributes, fn);
}

/** Run fn in the span of a new trace (sampled as any trace the edge starts); off: just run fn. */
export function inNewTrace<T>(name: string, kind: SpanKind, attributes: Attributes | undefined, fn: () => T): T {
  if (!sampleNewTrace()) return fn();
  return inSpan(ROOT_CONTEXT, name, kind, attributes, fn);
}

function failed(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
}

/** The span ends when fn returns, or when the promise it returns settles. */
function inSpan<T>(parent: Context, name: string, kind: SpanKind, attributes: Attributes | undefined, fn: () => T): T {
  const span = (state.tracer as NonNullable<typeof state.tracer>).startSpan(name, { kind, attributes }, parent);
  let out: T;
  try {
    out = context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    failed(span, err);
    span.end();
    throw err;
  }
  if (out instanceof Promise) {
    return out.then(
      (v) => {
        span.end();
        return v;
      },
      (err) => {
        failed(span, err);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return out;
}
