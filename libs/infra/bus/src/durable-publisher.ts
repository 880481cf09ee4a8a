// Publishing to a JetStream stream so that nothing handed over is lost while
// the process lives. A core publish to a stream subject while JetStream is
// restarting is dropped without a word; here each message is published with
// a JetStream ack, pipelined (up to WINDOW unacknowledged at once, so the hot
// path pays no round trip per message), and on a failure (timeout, 503 no
// responders while JetStream recovers) everything not yet acknowledged is
// sent again in order, after a backoff, one probe at a time until the stream
// answers again. Every message carries a msg id, so a retry of a message that
// was stored but whose ack was lost is dropped by the stream's duplicate
// window instead of stored twice.
//
// Order: the stream stores messages in the order it receives them. Only a
// message that fails while a later one, already in flight, succeeds can end
// up behind it. To keep that window small, nothing is sent while the
// connection is down (nats.js would buffer it and send it at reconnection,
// possibly before an older message that was lost with the socket), and after
// a failure one message at a time until the oldest unacknowledged one is
// stored.
import { randomBytes } from 'node:crypto';
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { Counter } from 'prom-client';

const retries = new Counter({
  name: 'xmpp_stream_publish_retries_total',
  help: 'Publishes to a JetStream stream (xmpp_sm, xmpp_muc_in) that failed (timeout, JetStream unavailable) and are sent again, by stream',
  labelNames: ['stream'],
});

const WINDOW = 256;
const EMPTY = new Uint8Array(0);
// Generous: a disconnect is noticed at once (below); this only catches an ack lost on a live connection.
const TIMEOUT_MS = 5000;
const BACKOFF_MS = [50, 100, 250, 500, 1000];

interface Entry {
  n: number;
  subject: string;
  data: Uint8Array;
  stored: boolean;
}

export interface DurablePublisherOptions {
  nc: NatsConnection;
  stream: string;
  /** Called on each failed attempt (it is retried). */
  onRetry?: (err: Error) => void;
}

export class DurablePublisher {
  /** Not yet stored, oldest first; queue[head] is the oldest. */
  private queue: Entry[] = [];
  private head = 0;
  /** Index (in queue) of the next entry to send. */
  private next = 0;
  private inFlight = 0;
  private n = 0;
  /** Bumped on each failure: results of attempts from an older round are only used if they stored; inFlight counts this round's. */
  private round = 0;
  private failures = 0;
  private waiting = false;
  private disconnected = false;
  private readonly waiters: { upTo: number; resolve: () => void }[] = [];
  private readonly prefix = randomBytes(6).toString('base64url');
  /** Acks come to one subscription of ours (inbox.<attempt>), not through nats.js requests (see send). */
  private readonly inbox = createInbox();
  private readonly attempts = new Map<number, { e: Entry; round: number; at: number }>();
  private attempt = 0;
  private readonly headers = headers();

  constructor(private readonly o: DurablePublisherOptions) {
    this.headers.set('Nats-Expected-Stream', o.stream);
    o.nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => void (err || this.onAck(msg)) });
    setInterval(() => this.sweep(), 500).unref();
    void this.watchConnection();
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.o.nc.status()) {
      if (s.type === 'disconnect') {
        this.disconnected = true;
        // What is in flight may be lost with the socket: send it again, in order, once back.
        this.newRound();
        this.failures = Math.max(this.failures, 1);
      } else if (s.type === 'reconnect') {
        this.disconnected = false;
        this.pump();
      }
    }
  }

  /** Messages handed over and not yet stored. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  publish(subject: string, data: Uint8Array): void {
    this.queue.push({ n: ++this.n, subject, data, stored: false });
    this.pump();
  }

  /** Resolves once every message published before the call is stored; never rejects. */
  durable(): Promise<void> {
    const upTo = this.n;
    if (this.storedUpTo() >= upTo) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  private storedUpTo(): number {
    return this.head < this.queue.length ? this.queue[this.head].n - 1 : this.n;
  }

  private pump(): void {
    if (this.waiting || this.disconnected) return;
    // After a failure, one probe at a time until the stream answers again.
    const window = this.failures > 0 ? 1 : WINDOW;
    while (this.next < this.queue.length && this.inFlight < window) {
      const e = this.queue[this.next++];
      if (!e.stored) this.send(e);
    }
  }

  /**
   * A JetStream publish by hand: the message with its msg id and the stream
   * it must land in, the ack to our inbox. js.publish would cost a request
   * (promise, timer, mux token, a backoff object, a full JSON parse) per
   * batch; this is one map entry, and one sweep timer finds lost acks.
   */
  private send(e: Entry): void {
    const a = ++this.attempt;
    this.attempts.set(a, { e, round: this.round, at: Date.now() });
    this.inFlight++;
    // One headers object for all: nats.js encodes it inside publish, so only the msg id changes.
    this.headers.set('Nats-Msg-Id', `${this.prefix}-${e.n}`);
    this.o.nc.publish(e.subject, e.data, { reply: `${this.inbox}.${a}`, headers: this.headers });
  }

  private onAck(msg: Msg): void {
    const a = Number(msg.subject.slice(this.inbox.length + 1));
    const t = this.attempts.get(a);
    if (!t) return;
    this.attempts.delete(a);
    // A PubAck is {"stream":…,"seq":…}; a failure is {"error":…} or a 503 (JetStream not there).
    const ok = msg.headers?.code !== 503 && msg.data.length > 0 && !msg.string().includes('"error"');
    if (ok) this.stored(t.e, t.round);
    else this.failed(t.e, t.round, msg.headers?.code === 503 ? 'no responders' : msg.string());
  }

  /** Attempts without an ack for TIMEOUT_MS failed (lost with a NATS restart, or JetStream stalled). */
  private sweep(): void {
    const before = Date.now() - TIMEOUT_MS;
    for (const [a, t] of this.attempts) {
      if (t.at >= before) break;
      this.attempts.delete(a);
      this.failed(t.e, t.round, 'timeout');
    }
  }

  private stored(e: Entry, round: number): void {
    if (round === this.round) this.inFlight--;
    e.stored = true;
    // A batch is up to 256 KiB: holding it until the queue is compacted made the router's GC work much harder.
    e.data = EMPTY;
    this.failures = 0;
    this.advance();
    this.pump();
  }

  private failed(e: Entry, round: number, why: string): void {
    if (round !== this.round) return this.pump();
    this.inFlight--;
    if (e.stored) return this.pump();
    retries.inc({ stream: this.o.stream });
    this.o.onRetry?.(new Error(why));
    this.retryFromHead();
  }

  /** What is in flight is given up on (its acks still count if they come): send again from the oldest not stored. */
  private newRound(): void {
    this.round++;
    this.inFlight = 0;
    this.next = this.head;
  }

  /** Send again, in order, everything not stored yet, after a backoff. */
  private retryFromHead(): void {
    this.newRound();
    this.waiting = true;
    const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)];
    // unref: a connection closed for good (shutdown) must not keep the process alive retrying.
    setTimeout(() => {
      this.waiting = false;
      if (!this.o.nc.isClosed()) this.pump();
    }, delay).unref();
  }

  private advance(): void {
    while (this.head < this.queue.length && this.queue[this.head].stored) this.head++;
    if (this.next < this.head) this.next = this.head;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.next -= this.head;
      this.head = 0;
    }
    const upTo = this.storedUpTo();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].upTo <= upTo) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    }
  }
}
