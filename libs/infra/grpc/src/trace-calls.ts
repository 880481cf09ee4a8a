// Trace context on unary calls: the client sends the active span's W3C
// `traceparent` as call metadata, the server runs the handler in a span that
// continues it. Long-lived streams carry many stanzas, so their messages carry
// their own traceparent instead (see docs/architecture.md, Tracing).
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { activeTraceparent, continueTrace, SpanKind, tracingOn } from '@cx/tracing';

/** Add the active trace to a call's metadata (nothing when off, or not traced). */
export function withTrace(md: Metadata): Metadata {
  const tp = activeTraceparent();
  if (tp) md.set('traceparent', tp);
  return md;
}

/** Run a unary handler in a server span when the caller sent a trace. */
export function serveTraced<Req, Res>(call: ServerUnaryCall<Req, Res>, fn: (req: Req) => Promise<Res>): Promise<Res> {
  if (!tracingOn()) return fn(call.request);
  const tp = call.metadata.get('traceparent')[0];
  if (typeof tp !== 'string' || !tp) return fn(call.request);
  const path = call.getPath(); // /package.Service/Method
  const slash = path.lastIndexOf('/');
  const attributes = { 'rpc.system': 'grpc', 'rpc.service': path.slice(1, slash), 'rpc.method': path.slice(slash + 1) };
  return continueTrace(tp, path.slice(1), SpanKind.SERVER, attributes, () => fn(call.request));
}
