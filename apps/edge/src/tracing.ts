// The edge's spans (OpenTelemetry, when OTEL_TRACES_EXPORTER=otlp): it starts
// the trace of each client stanza it routes (when sampled), and continues the
// router's trace when it writes a delivery to its client. Attributes name the
// stanza kind, type, id and connection, never JIDs or content.
import { continueTrace, sampleNewTrace, SpanKind, startTrace, type Span } from '@cx/tracing';
import type { StanzaKind } from '@cx/stanza';
import type { Element } from '@cx/xmpp-core';

/** The span of a client stanza on its way to the router; undefined when not sampled. */
export function stanzaSpan(el: Element, connectionId: string): Span | undefined {
  if (!sampleNewTrace()) return undefined;
  return startTrace(`edge route ${el.name}`, SpanKind.PRODUCER, {
    'xmpp.stanza': el.name,
    'xmpp.type': el.attrs.type ?? '',
    'xmpp.id': el.attrs.id ?? '',
    'xmpp.connection': connectionId,
  });
}

/** Run write (a delivery to the client) in a span continuing the router's trace. */
export function deliverySpan(traceparent: string, kind: StanzaKind, connectionId: string, write: () => void): void {
  continueTrace(traceparent, 'edge deliver', SpanKind.CONSUMER, { 'xmpp.kind': kind, 'xmpp.connection': connectionId }, write);
}
