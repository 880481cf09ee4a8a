// Stanzas to the router over a few long-lived Route streams. Stanzas queued in
// one turn of the event loop go as one batch; a session always uses the same
// stream (slot) so its stanzas stay in order.
//
// Nothing accepted is lost on a breaking stream: every batch is numbered on
// its slot and kept until the router confirms it (RouteAck, cumulative: the
// router sends it once the batch is routed and its deliveries are durable).
// When the stream breaks (router killed, network), the unconfirmed batches go
// again, in order and before anything new, on the reopened stream (maybe to
// another replica), marked resent: a router that handled one itself drops it;
// another router routes it again (a duplicate at worst, never a loss).
import { randomBytes } from 'node:crypto';
import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '@cx/log';
import { routerv1 } from '@cx/proto';
import { waitingMetadata } from '@cx/grpc';
import type { Span } from '@cx/tracing';

type Stream = ClientDuplexStream<routerv1.StanzaBatch, routerv1.RouteAck>;

/** Per slot: beyond either, nothing new is written until confirmations come back. */
const MAX_UNCONFIRMED_BATCHES = 4096;
const MAX_UNCONFIRMED_BYTES = 32 * 1024 * 1024;
/** Reopening a broken stream: the first try at once, then backing off while no confirmation comes. */
const RETRY_MAX_MS = 2000;

const resentBatches = new Counter({
  name: 'xmpp_edge_route_resent_batches_total',
  help: 'Batches sent to a router again because their Route stream broke before the router confirmed them',
});
const brokenStreams = new Counter({ name: 'xmpp_edge_route_streams_broken_total', help: 'Route streams that ended or failed with batches unconfirmed' });

const links = new Set<RouterLink>();
new Gauge({
  name: 'xmpp_edge_route_unconfirmed_batches',
  help: 'Batches sent to routers and not yet confirmed (kept to be sent again if their stream breaks)',
  collect() {
    let n = 0;
    for (const l of links) n += l.unconfirmed;
    this.set(n);
  },
});

interface Sent {
  batch: routerv1.StanzaBatch;
  bytes: number;
}

class Slot {
  stream?: Stream;
  queue: routerv1.Stanza[] = [];
  /** The stream's write buffer is full (until 'drain'). */
  blocked = false;
  /** Broken with batches unconfirmed: nothing is written until they are sent again. */
  reopening = false;
  failures = 0;
  seq = 0;
  /** The highest batch a router confirmed. */
  acked = 0;
  /** Called once the batch they wait for is confirmed (whenRouted). */
  waiters: Array<{ seq: number; fn: () => void }> = [];
  /** Sent, not confirmed, oldest first (from `head`). */
  unconfirmed: Sent[] = [];
  head = 0;
  bytes = 0;

  constructor(readonly id: string) {}

  get pending(): number {
    return this.unconfirmed.length - this.head;
  }

  get full(): boolean {
    return this.pending >= MAX_UNCONFIRMED_BATCHES || this.bytes >= MAX_UNCONFIRMED_BYTES;
  }
}

export interface RouterLinkOptions {
  client: routerv1.RouterServiceClient;
  edgeId: string;
  /** Streams (slots) to the routers. */
  size: number;
  log: Logger;
  /** A stream-managed client's stanzas up to h are handled by a router (called in order per connection). */
  confirmed?: (connectionId: string, h: number) => void;
}

export class RouterLink {
  private readonly slots: Slot[];
  private scheduled = false;
  private closed = false;
  /** Spans of traced stanzas queued this turn, ended when they are written. */
  private spans: Span[] = [];
  sent = 0;

  constructor(private readonly o: RouterLinkOptions) {
    // Unique per process: a restarted edge's batch numbers are not mistaken for its predecessor's.
    const run = randomBytes(6).toString('base64url');
    this.slots = Array.from({ length: o.size }, (_, i) => new Slot(`${o.edgeId}/${run}/${i}`));
    links.add(this);
  }

  private stream(slot: number): Stream {
    const sl = this.slots[slot];
    if (sl.stream) return sl.stream;
    const s = this.o.client.route(waitingMetadata());
    s.on('data', (ack: routerv1.RouteAck) => this.confirm(sl, slot, ack.seq));
    s.on('error', () => undefined); // reported by 'status'
    s.on('status', (st: StatusObject) => this.ended(slot, s, st));
    s.on('drain', () => {
      if (sl.stream !== s) return;
      sl.blocked = false;
      this.flushSlot(slot);
    });
    sl.stream = s;
    return s;
  }

  send(slotKey: number, stanza: routerv1.Stanza, span?: Span): void {
    this.slots[slotKey % this.slots.length].queue.push(stanza);
    if (span) this.spans.push(span);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * `fn` runs once a router has confirmed every stanza queued on this slot so
   * far (at once when none is waiting): an answer the edge gives itself (a
   * ping) then still comes after what the client sent before it was handled,
   * as it would coming from the router.
   */
  whenRouted(slotKey: number, fn: () => void): void {
    const sl = this.slots[slotKey % this.slots.length];
    const seq = sl.queue.length ? sl.seq + 1 : sl.seq;
    if (seq <= sl.acked) return fn();
    sl.waiters.push({ seq, fn });
  }

  flush(): void {
    this.scheduled = false;
    for (let i = 0; i < this.slots.length; i++) this.flushSlot(i);
    if (this.spans.length) this.endSpans();
  }

  private endSpans(): void {
    for (const s of this.spans) s.end();
    this.spans = [];
  }

  private flushSlot(slot: number): void {
    const sl = this.slots[slot];
    const q = sl.queue;
    if (q.length === 0 || sl.blocked || sl.reopening || sl.full || this.closed) return;
    sl.queue = [];
    this.sent += q.length;
    const batch: routerv1.StanzaBatch = { edgeId: this.o.edgeId, stanzas: q, seq: ++sl.seq, slotId: sl.id, resent: false };
    let bytes = 0;
    for (const s of q) bytes += s.xml.length + 96;
    sl.unconfirmed.push({ batch, bytes });
    sl.bytes += bytes;
    if (!this.stream(slot).write(batch)) sl.blocked = true;
  }

  /** RouteAck: every batch up to seq is handled; stream-managed senders learn what is now confirmed. */
  private confirm(sl: Slot, slot: number, seq: number): void {
    const wasFull = sl.full;
    const confirmed = this.o.confirmed;
    while (sl.head < sl.unconfirmed.length && sl.unconfirmed[sl.head].batch.seq <= seq) {
      const { batch, bytes } = sl.unconfirmed[sl.head];
      sl.unconfirmed[sl.head++] = undefined as never;
      sl.bytes -= bytes;
      if (confirmed) for (const s of batch.stanzas) if (s.smIn > 0) confirmed(s.connectionId, s.smIn);
    }
    if (seq > sl.acked) sl.acked = seq;
    if (sl.waiters.length) this.release(sl);
    if (sl.head > 1024 && sl.head * 2 > sl.unconfirmed.length) {
      sl.unconfirmed = sl.unconfirmed.slice(sl.head);
      sl.head = 0;
    }
    sl.failures = 0;
    if (wasFull && !sl.full) this.flushSlot(slot);
  }

  private release(sl: Slot): void {
    const due = sl.waiters.filter((w) => w.seq <= sl.acked);
    if (due.length === 0) return;
    sl.waiters = sl.waiters.filter((w) => w.seq > sl.acked);
    for (const w of due) w.fn();
  }

  /** The stream ended (router shutdown) or broke: send what it left unconfirmed again, on a new one. */
  private ended(slot: number, s: Stream, st: StatusObject): void {
    const sl = this.slots[slot];
    if (sl.stream !== s) return;
    sl.stream = undefined;
    sl.blocked = false;
    if (this.closed) return;
    if (sl.pending === 0) return this.flushSlot(slot); // nothing to send again: the next batch opens a stream
    brokenStreams.inc();
    this.o.log.warn({ slot, code: st.code, details: st.details, unconfirmed: sl.pending }, 'route stream closed with batches unconfirmed; sending them again');
    sl.reopening = true;
    const delay = sl.failures === 0 ? 0 : Math.min(RETRY_MAX_MS, 50 * 2 ** sl.failures);
    sl.failures++;
    setTimeout(() => this.resend(slot), delay).unref();
  }

  private resend(slot: number): void {
    const sl = this.slots[slot];
    sl.reopening = false;
    if (this.closed) return;
    const s = this.stream(slot);
    let ok = true;
    for (let i = sl.head; i < sl.unconfirmed.length; i++) {
      ok = s.write({ ...sl.unconfirmed[i].batch, resent: true });
      resentBatches.inc();
    }
    if (!ok) sl.blocked = true;
    this.flushSlot(slot);
  }

  /** Batches sent and not yet confirmed, all slots. */
  get unconfirmed(): number {
    return this.slots.reduce((n, s) => n + s.pending, 0);
  }

  /** Shutdown: send what is queued, end the streams, and wait (bounded) for the routers to confirm it all. */
  async close(timeoutMs = 3000): Promise<void> {
    this.flush();
    this.closed = true;
    links.delete(this);
    for (const s of this.slots) s.stream?.end();
    const until = Date.now() + timeoutMs;
    while (this.unconfirmed > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (this.unconfirmed > 0) this.o.log.warn({ unconfirmed: this.unconfirmed }, 'route streams closed with batches unconfirmed');
  }
}
