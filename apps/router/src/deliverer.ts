// Deliveries to edges over NATS, one subject per edge (xmpp.edge.<id>): the
// stanzas bound for one edge within one turn of the event loop go out as one
// EdgeMessage, so a burst costs one publish per edge rather than per stanza.
// Deliveries to stream-managed sessions (XEP-0198) go the same way on the
// edge's subject in the JetStream stream xmpp_sm (xmpp.sm.<id>), which keeps
// them until the client acknowledges them, whatever happens to the edge; the
// router's acknowledgements of client stanzas (in-acks) ride along, after
// every delivery of the turn. Those are published with JetStream acks and
// retried until stored (DurablePublisher): an in-ack becomes the client's
// `<a h>`/`<resumed h>`, so the batch carrying it must not be lost.
//
// A core batch goes out with a reply subject (CoreDeliveries): NATS answers
// 503 at once when no edge reads the subject, so deliveries to an edge that
// is gone are handed to onLost instead of vanishing.
import { subjects, type NatsConnection } from '@cx/bus';
import type { edgev1 } from '@cx/proto';
import { SmPublisher } from '@cx/sm';
import { activeTraceparent } from '@cx/tracing';
import type { StanzaKind } from '@cx/stanza';
import { CoreDeliveries } from './core-deliveries';

const MAX_BATCH_BYTES = 256 * 1024;

interface Pending {
  edgeId: string;
  sm: boolean;
  deliveries: edgev1.Delivery[];
  inAcks: edgev1.InAck[];
  bytes: number;
}

export class Deliverer {
  private readonly pending = new Map<string, Pending>();
  private scheduled = false;
  private readonly sm: SmPublisher;
  private readonly core: CoreDeliveries;
  delivered = 0;

  /** Deliveries on a core subject no edge reads (after a few tries over ~3 s): route them again as undeliverable. */
  onLost?: (edgeId: string, deliveries: edgev1.Delivery[]) => void;

  constructor(nc: NatsConnection) {
    this.sm = new SmPublisher(nc);
    this.core = new CoreDeliveries(nc, (edgeId, deliveries) => this.onLost?.(edgeId, deliveries));
  }

  private batch(edgeId: string, sm: boolean): Pending {
    const key = sm ? `s${edgeId}` : edgeId;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { edgeId, sm, deliveries: [], inAcks: [], bytes: 0 }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  /**
   * offlineSeq: a stored offline message's sequence in xmpp_offline (the edge
   * reports it back once the client has it); shared: other sessions of the
   * user got their own copy in the same routing.
   */
  deliver(
    edgeId: string,
    connectionId: string,
    to: string,
    xml: Uint8Array,
    kind: StanzaKind,
    sm = false,
    { offlineSeq, shared }: { offlineSeq?: number; shared?: boolean } = {},
  ): void {
    const p = this.batch(edgeId, sm);
    p.deliveries.push({ connectionId, to, xml: xml as Buffer, kind, traceparent: activeTraceparent(), offlineSeq, shared: shared || undefined });
    p.bytes += xml.length + to.length + connectionId.length + 8;
    this.delivered++;
    if (p.bytes >= MAX_BATCH_BYTES) this.flushKey(sm ? `s${edgeId}` : edgeId);
  }

  /** The client's stanzas up to h are handled: published after this turn's deliveries. */
  inAck(edgeId: string, connectionId: string, h: number): void {
    this.batch(edgeId, true).inAcks.push({ connectionId, h });
  }

  /**
   * Resolves once everything handed over before the call is stored by
   * JetStream (stream-managed deliveries, in-acks) or reached NATS (core
   * deliveries: a PONG after them, or published again after the connection
   * dropped). During a NATS outage it waits; it never rejects.
   */
  durable(): Promise<void> {
    if (this.pending.size) this.flush();
    return Promise.all([this.sm.durable(), this.core.published()]).then(() => undefined);
  }

  flush(): void {
    this.scheduled = false;
    const keys = [...this.pending.keys()];
    for (const k of keys) if (this.pending.get(k)?.inAcks.length === 0) this.flushKey(k);
    for (const k of keys) this.flushKey(k);
  }

  private flushKey(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if (p.sm) this.sm.publish(p.edgeId, { deliveries: p.deliveries, inAcks: p.inAcks });
    else this.core.send(p.edgeId, subjects.edge(p.edgeId), p.deliveries);
  }
}
