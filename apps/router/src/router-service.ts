// RouterService.Route: one long-lived stream per edge slot. Batches are
// routed strictly in order (a stanza that must wait holds the ones behind it),
// and the stream is paused while too much is queued, pushing back on the edge.
// Each handled batch is confirmed back (RouteAck, route-confirm.ts) once what
// it delivered is durable; the edge keeps it until then and sends it again,
// marked resent, on a new stream if this one breaks.
import { performance } from 'node:perf_hooks';
import { Metadata, type ServerDuplexStream } from '@grpc/grpc-js';
import { StreamWork, type OpenStreams } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { routerv1 } from '@cx/proto';
import type { Router } from './routing';
import { continueTrace, SpanKind } from '@cx/tracing';
import { Confirmer, RecentBatches } from './route-confirm';

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

export interface RouteServiceDeps {
  router: Router;
  log: Logger;
  streams: OpenStreams;
  onRouted: (kind: number, receivedAt: number) => void;
  inAck: (edgeId: string, connectionId: string, h: number) => void;
  /** Resolves once what was handed to the Deliverer before the call is stored or published (never rejects). */
  durable: () => Promise<void>;
  /** Resolves when NATS is reachable again; undefined while it is. */
  busGate?: () => Promise<void> | undefined;
  /** Counts resent batches: dropped (handled here before) or routed. */
  onResent?: (dropped: boolean) => void;
}

export function routerService(d: RouteServiceDeps): routerv1.RouterServiceServer {
  const { router, log } = d;
  const busGate = d.busGate ?? (() => undefined);
  const recent = new RecentBatches();
  return {
    route(call: ServerDuplexStream<routerv1.StanzaBatch, routerv1.RouteAck>) {
      // Headers at once: the edge's call is then committed.
      call.sendMetadata(new Metadata());
      let chain: Promise<void> = Promise.resolve();
      let queued = 0;
      let done = false;
      const confirmer = new Confirmer({
        durable: d.durable,
        send: (seq) => {
          if (!done && !call.cancelled) call.write({ seq });
        },
      });
      const finish = () => {
        if (done) return;
        work.closed();
        void confirmer.settled().then(() => {
          done = true;
          call.end();
        });
      };
      // On shutdown: route and confirm what was received, then end the call; the edge opens a new one elsewhere.
      const work = new StreamWork(d.streams, finish);
      const process = async (batch: routerv1.StanzaBatch, receivedAt: number) => {
        if (batch.resent) {
          const dropped = recent.has(batch.slotId, batch.seq);
          d.onResent?.(dropped);
          if (dropped) return confirmer.handled(batch.seq);
        }
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
          d.onRouted(s.kind, receivedAt);
        }
        const counts = smCounts(batch);
        if (counts) for (const [connectionId, h] of counts) d.inAck(batch.edgeId, connectionId, h);
        if (batch.slotId) recent.add(batch.slotId, batch.seq);
        confirmer.handled(batch.seq);
      };
      call.on('data', (batch: routerv1.StanzaBatch) => {
        if (++queued >= HIGH_WATER) call.pause();
        const receivedAt = performance.now();
        chain = work.run(chain.then(() => process(batch, receivedAt))).finally(() => {
          if (--queued < HIGH_WATER / 2) call.resume();
        });
      });
      call.on('end', () => void chain.then(finish));
      call.on('error', () => {
        done = true;
        work.closed();
      });
    },
  };
}
