export { startTracing, type Tracing, type TracingConfig } from './start';
export { tracingOn } from './state';
export { activeTraceparent, continueTrace, inNewTrace, spanTraceparent, startTrace, SpanKind, type Attributes, type Span } from './spans';
export { tracePublishOptions, traceparentFrom } from './nats';
