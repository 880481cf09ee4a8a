// Deliveries to edges over NATS, one subject per edge (xmpp.edge.<id>): the
// stanzas bound for one edge within one turn of the event loop go out as one
// EdgeMessage, so a burst costs one publish per edge rather than per stanza.
// Deliveries to stream-managed sessions (XEP-0198) go the same way on the
// edge's subject in the JetStream stream xmpp_sm (xmpp.sm.<id>), which keeps
// them until the client acknowledges them, whatever happens to the edge; the
// router's acknowledgements of client stanzas (in-acks) ride along, after
// every delivery of the turn.
import { subjects, type NatsConnection } from '@cx/bus';
import { edgev1 } from '@cx/proto';
import { smSubject } from '@cx/sm';
import { activeTraceparent } from '@cx/tracing';

const MAX_BATCH_BYTES = 256 * 1024;

interface Pending {
  subject: string;
  deliveries: edgev1.Delivery[];
  inAcks: edgev1.InAck[];
  bytes: number;
}

export class Deliverer {
  private readonly pending = new Map<string, Pending>();
  private scheduled = false;
  delivered = 0;

  /** Deliveries on a core subject no edge reads (set by main; called by the nats helper's Deliverer). */
  onLost?: (edgeId: string, deliveries: edgev1.Delivery[]) => void;

  constructor(private readonly nc: NatsConnection) {}

  /** Everything handed over before the call is published. (Local stand-in: the JetStream version waits for the stores.) */
  durable(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  private batch(edgeId: string, sm: boolean): Pending {
    const key = sm ? `s${edgeId}` : edgeId;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { subject: sm ? smSubject(edgeId) : subjects.edge(edgeId), deliveries: [], inAcks: [], bytes: 0 }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  deliver(edgeId: string, connectionId: string, to: string, xml: Uint8Array, kind: number, sm = false): void {
    const p = this.batch(edgeId, sm);
    p.deliveries.push({ connectionId, to, xml: xml as Buffer, kind, traceparent: activeTraceparent() });
    p.bytes += xml.length + to.length + connectionId.length + 8;
    this.delivered++;
    if (p.bytes >= MAX_BATCH_BYTES) this.flushKey(sm ? `s${edgeId}` : edgeId);
  }

  /** The client's stanzas up to h are handled: published after this turn's deliveries. */
  inAck(edgeId: string, connectionId: string, h: number): void {
    this.batch(edgeId, true).inAcks.push({ connectionId, h });
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
    this.nc.publish(p.subject, edgev1.EdgeMessage.encode({ deliveries: p.deliveries, kicks: [], inAcks: p.inAcks }).finish());
  }
}
