// Deliveries to edges over NATS, one subject per edge (xmpp.edge.<id>): the
// stanzas bound for one edge within one turn of the event loop go out as one
// EdgeMessage, so a burst costs one publish per edge rather than per stanza.
import { subjects, type NatsConnection } from '@cx/bus';
import { edgev1 } from '@cx/proto';

const MAX_BATCH_BYTES = 256 * 1024;

export class Deliverer {
  private readonly pending = new Map<string, { deliveries: edgev1.Delivery[]; bytes: number }>();
  private scheduled = false;
  delivered = 0;

  constructor(private readonly nc: NatsConnection) {}

  deliver(edgeId: string, connectionId: string, to: string, xml: Uint8Array, kind: number): void {
    let p = this.pending.get(edgeId);
    if (!p) this.pending.set(edgeId, (p = { deliveries: [], bytes: 0 }));
    p.deliveries.push({ connectionId, to, xml: xml as Buffer, kind });
    p.bytes += xml.length + to.length + connectionId.length + 8;
    this.delivered++;
    if (p.bytes >= MAX_BATCH_BYTES) this.flushEdge(edgeId);
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const edgeId of [...this.pending.keys()]) this.flushEdge(edgeId);
  }

  private flushEdge(edgeId: string): void {
    const p = this.pending.get(edgeId);
    if (!p || p.deliveries.length === 0) return;
    this.pending.delete(edgeId);
    this.nc.publish(subjects.edge(edgeId), edgev1.EdgeMessage.encode({ deliveries: p.deliveries, kicks: [] }).finish());
  }
}
