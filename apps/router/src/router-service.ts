// RouterService.Route: one long-lived client stream per edge. Batches are
// routed strictly in order (a stanza that must wait holds the ones behind it),
// and the stream is paused while too much is queued, pushing back on the edge.
import { performance } from 'node:perf_hooks';
import { Metadata, type ServerReadableStream, type sendUnaryData } from '@grpc/grpc-js';
import { StreamWork, type OpenStreams } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { routerv1 } from '@cx/proto';
import type { Router } from './routing';
import { continueTrace, SpanKind } from '@cx/tracing';

const HIGH_WATER = 64;

/** The highest XEP-0198 count per connection among a batch's stanzas (stream-managed sessions only). */
function smCounts(batch: routerv1.StanzaBatch): Map<string, number> | undefined {
  let m: Map<string, number> | undefined;
  for (const s of batch.stanzas) if (s.smIn > 0) (m ??= new Map()).set(s.connectionId, Math.max(s.smIn, m.get(s.connectionId) ?? 0));
  return m;
}

/** Route a traced stanza in a span continuing the edge's trace: deliveries and calls it makes carry it on. */
function routeTraced(router: Router, s: routerv1.Stanza, edgeId: string): Promise<void> | void {
  const attributes = { 'xmpp.kind': s.kind, 'xmpp.type': s.type, 'xmpp.edge': edgeId, 'xmpp.undeliverable': s.undeliverable };
  return continueTrace(s.traceparent, 'router route', SpanKind.CONSUMER, attributes, () => router.route(s, edgeId));
}

export function routerService(router: Router, log: Logger, streams: OpenStreams, onRouted: (kind: number, receivedAt: number) => void, inAck: (edgeId: string, connectionId: string, h: number) => void, busGate: () => Promise<void> | undefined = () => undefined): routerv1.RouterServiceServer {
  return {
    route(call: ServerReadableStream<routerv1.StanzaBatch, routerv1.RouteSummary>, cb: sendUnaryData<routerv1.RouteSummary>) {
      // Headers at once: the edge's call is then committed and keeps no copy of what it sent.
      call.sendMetadata(new Metadata());
      let chain: Promise<void> = Promise.resolve();
      let queued = 0;
      let routed = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        work.closed();
        cb(null, { routed });
      };
      // On shutdown: route what was received, then end the call; the edge opens a new one elsewhere.
      const work = new StreamWork(streams, finish);
      const process = async (batch: routerv1.StanzaBatch, receivedAt: number) => {
        // NATS unreachable: hold the stream (the edge waits) rather than publish deliveries core NATS would drop.
        await busGate();
        for (const s of batch.stanzas) {
          try {
            const p = s.traceparent ? routeTraced(router, s, batch.edgeId) : router.route(s, batch.edgeId);
            if (p) await p;
          } catch (err) {
            log.error({ err, to: s.to }, 'routing failed');
            router.failed(s, batch.edgeId);
          }
          onRouted(s.kind, receivedAt);
        }
        routed += batch.stanzas.length;
        const counts = smCounts(batch);
        if (counts) for (const [connectionId, h] of counts) inAck(batch.edgeId, connectionId, h);
      };
      call.on('data', (batch: routerv1.StanzaBatch) => {
        if (++queued >= HIGH_WATER) call.pause();
        const receivedAt = performance.now();
        chain = work.run(chain.then(() => process(batch, receivedAt))).finally(() => {
          if (--queued < HIGH_WATER / 2) call.resume();
        });
      });
      call.on('end', () => void chain.then(finish));
      call.on('error', () => work.closed());
    },
  };
}
