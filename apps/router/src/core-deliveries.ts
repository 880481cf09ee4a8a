// Core deliveries (sessions without stream management) to xmpp.edge.<id>,
// with a way to notice that no edge reads the subject any more. Each batch
// is published with a reply subject under one inbox subscription of ours:
// the edge answers with an empty message, and NATS answers 503 (no
// responders) at once when nobody subscribes. On 503 the batch is sent again
// a few times over ~3 s (the edge may be resubscribing after a reconnect),
// then handed to onLost, which routes the stanzas again as undeliverable.
//
// Why not nc.request: one request per batch would be fine, but it allocates
// a promise, a timer and an error object per batch, and a timeout rejects;
// here a batch costs one map entry, and entries nobody answered (a message
// lost with a NATS restart, a slow edge) are dropped by one sweep timer.
import { createInbox, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { Counter } from 'prom-client';
import { edgev1 } from '@cx/proto';

/** Delays before each retry after a 503 (sum ~3 s); then the deliveries are lost to this edge. */
const RETRY_MS = [250, 750, 2000];
/** A batch without any answer for this long is forgotten (not retried: the edge may have it). */
const FORGET_MS = 10_000;

const lostBatches = new Counter({ name: 'xmpp_router_deliveries_no_responders_total', help: 'Core delivery batches to an edge subject nobody read, by outcome', labelNames: ['outcome'] });

interface Outstanding {
  edgeId: string;
  subject: string;
  data: Uint8Array;
  deliveries: edgev1.Delivery[];
  tries: number;
  sentAt: number;
}

export class CoreDeliveries {
  private readonly inbox = createInbox();
  private readonly outstanding = new Map<number, Outstanding>();
  private n = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly nc: NatsConnection, private readonly onLost: (edgeId: string, deliveries: edgev1.Delivery[]) => void) {
    nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => void (err || this.answer(msg)) });
    this.sweeper = setInterval(() => this.sweep(), FORGET_MS / 2);
    this.sweeper.unref();
  }

  send(edgeId: string, subject: string, deliveries: edgev1.Delivery[]): void {
    const data = edgev1.EdgeMessage.encode({ deliveries, kicks: [], inAcks: [] }).finish();
    const n = ++this.n;
    this.outstanding.set(n, { edgeId, subject, data, deliveries, tries: 0, sentAt: Date.now() });
    this.nc.publish(subject, data, { reply: `${this.inbox}.${n}` });
  }

  private answer(msg: Msg): void {
    const n = Number(msg.subject.slice(this.inbox.length + 1));
    const o = this.outstanding.get(n);
    if (!o) return;
    this.outstanding.delete(n);
    if (msg.data.length > 0 || msg.headers?.code !== 503) return;
    if (o.tries >= RETRY_MS.length) {
      lostBatches.inc({ outcome: 'lost' });
      this.onLost(o.edgeId, o.deliveries);
      return;
    }
    lostBatches.inc({ outcome: 'retried' });
    setTimeout(() => this.retry(o), RETRY_MS[o.tries++]);
  }

  private retry(o: Outstanding): void {
    const n = ++this.n;
    o.sentAt = Date.now();
    this.outstanding.set(n, o);
    this.nc.publish(o.subject, o.data, { reply: `${this.inbox}.${n}` });
  }

  private sweep(): void {
    const before = Date.now() - FORGET_MS;
    // Insertion order is sending order: stop at the first recent one.
    for (const [n, o] of this.outstanding) {
      if (o.sentAt >= before) break;
      this.outstanding.delete(n);
    }
  }
}
