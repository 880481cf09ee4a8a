// Core deliveries (sessions without stream management) to xmpp.edge.<id>,
// with a way to notice that no edge reads the subject any more. Each batch
// is published with a reply subject under one inbox subscription of ours,
// and NATS answers 503 (no responders) there when nobody subscribes. On 503
// the batch is sent again a few times over ~3 s (the edge may be
// resubscribing after a reconnect), then handed to onLost, which routes the
// stanzas again as undeliverable.
//
// Nobody answers a batch that was delivered: the edge does not reply. The
// server handles our connection's messages in order and queues the 503 for
// a publish on our own connection while handling it, so once a PING sent
// after a turn's batches is answered (nc.flush), every batch of that turn
// without a 503 reached a subscriber and is forgotten. That costs one
// PING/PONG per turn instead of a reply message per batch through NATS and
// both processes (in a noisy first measurement a reply per batch looked
// like ~10% more router CPU per message). A turn whose PONG was lost with
// the connection (NATS restarted) is published again, with a new PING,
// until one is answered: the batches may have died in the socket, and the
// Route stream confirms stanzas to the edge only once their deliveries are
// out (durable()). Such a batch may then reach an edge twice (clients
// deduplicate by id); one that got a 503 meanwhile is not sent again here.
import { createInbox, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { Counter } from 'prom-client';
import { edgeChannel, edgeMessage } from '@cx/bus';
import type { edgev1 } from '@cx/proto';

/** Delays before each retry after a 503 (sum ~3 s); then the deliveries are lost to this edge. */
const RETRY_MS = [250, 750, 2000];
/** A batch without any answer for this long is forgotten (the connection closed for good). */
const FORGET_MS = 60_000;
/** Pause before publishing a turn again after its PING failed (the connection is down). */
const REPUBLISH_MS = 100;

const lostBatches = new Counter({
  name: 'xmpp_router_deliveries_no_responders_total',
  help: 'Core delivery batches to an edge subject nobody read, by outcome',
  labelNames: ['outcome'],
});

interface Outstanding {
  edgeId: string;
  subject: string;
  /** Only the encoded batch is kept (decoded again if lost, which is rare): fewer objects for the GC to carry across the PING's round trip. */
  data: Uint8Array;
  tries: number;
  sentAt: number;
}

export class CoreDeliveries {
  private readonly inbox = createInbox();
  private readonly outstanding = new Map<number, Outstanding>();
  private n = 0;
  /** Batches sent this turn, confirmed together by one PING. */
  private turn: number[] = [];
  private readonly sweeper: NodeJS.Timeout;
  /** Settles once every turn published so far got its PONG. */
  private confirmed: Promise<void> = Promise.resolve();

  constructor(
    private readonly nc: NatsConnection,
    private readonly onLost: (edgeId: string, deliveries: edgev1.Delivery[]) => void,
  ) {
    nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => void (err || this.answer(msg)) });
    this.sweeper = setInterval(() => this.sweep(), FORGET_MS / 2);
    this.sweeper.unref();
  }

  /** Batches not yet known to be delivered (or lost). */
  get size(): number {
    return this.outstanding.size;
  }

  send(edgeId: string, subject: string, deliveries: edgev1.Delivery[]): void {
    const data = edgeChannel.encode(edgeMessage({ deliveries }));
    const n = ++this.n;
    this.outstanding.set(n, { edgeId, subject, data, tries: 0, sentAt: Date.now() });
    this.publish(n, subject, data);
  }

  private publish(n: number, subject: string, data: Uint8Array): void {
    this.nc.publish(subject, data, { reply: `${this.inbox}.${n}` });
    if (this.turn.length === 0) queueMicrotask(() => this.confirmTurn());
    this.turn.push(n);
  }

  /** Resolves once every batch sent before the call reached NATS and NATS confirmed it (a PONG after it); never rejects. */
  published(): Promise<void> {
    return this.confirmed;
  }

  /** After the PONG, the batches of this turn that got no 503 were delivered. */
  private confirmTurn(): void {
    const turn = this.turn;
    this.turn = [];
    const done = this.confirm(turn);
    this.confirmed = Promise.all([this.confirmed, done]).then(() => undefined);
  }

  private async confirm(turn: number[]): Promise<void> {
    for (;;) {
      try {
        await this.nc.flush();
        for (const n of turn) this.outstanding.delete(n);
        return;
      } catch {
        if (this.nc.isClosed()) return;
        await new Promise((r) => setTimeout(r, REPUBLISH_MS));
        // The PING died with the connection, and so may have the batches: again, in order (buffered until the reconnection).
        for (const n of turn) {
          const o = this.outstanding.get(n);
          if (o) this.nc.publish(o.subject, o.data, { reply: `${this.inbox}.${n}` });
        }
      }
    }
  }

  private answer(msg: Msg): void {
    const n = Number(msg.subject.slice(this.inbox.length + 1));
    const o = this.outstanding.get(n);
    if (!o) return;
    this.outstanding.delete(n);
    if (msg.headers?.code !== 503) return;
    if (o.tries >= RETRY_MS.length) {
      lostBatches.inc({ outcome: 'lost' });
      this.onLost(o.edgeId, edgeChannel.decode(o.data).deliveries);
      return;
    }
    lostBatches.inc({ outcome: 'retried' });
    setTimeout(() => this.retry(o), RETRY_MS[o.tries++]);
  }

  private retry(o: Outstanding): void {
    const n = ++this.n;
    o.sentAt = Date.now();
    this.outstanding.set(n, o);
    this.publish(n, o.subject, o.data);
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
