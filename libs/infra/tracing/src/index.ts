export { startTracing, useAsyncContext, type Tracing, type TracingConfig } from './start';
export { tracingOn } from './state';
export { activeTraceparent, continueTrace, inNewTrace, sampleNewTrace, spanTraceparent, startTrace, SpanKind, type Attributes, type Span } from './spans';
export { tracePublishOptions, traceparentFrom } from './nats';
