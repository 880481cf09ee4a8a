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
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter } from 'prom-client';

const retries = new Counter({ name: 'xmpp_sm_publish_retries_total', help: 'Publishes to the stream xmpp_sm that failed (timeout, JetStream unavailable) and are sent again' });

const WINDOW = 256;
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
  js: JetStreamClient;
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
  /** Bumped on each failure: results of attempts from an older round are only used if they stored. */
  private round = 0;
  private failures = 0;
  private waiting = false;
  private disconnected = false;
  private readonly waiters: { upTo: number; resolve: () => void }[] = [];
  private readonly prefix = randomBytes(6).toString('base64url');

  constructor(private readonly o: DurablePublisherOptions) {
    void this.watchConnection();
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.o.nc.status()) {
      if (s.type === 'disconnect') {
        this.disconnected = true;
        // What is in flight may be lost with the socket: send it again, in order, once back.
        this.round++;
        this.next = this.head;
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

  private send(e: Entry): void {
    const round = this.round;
    this.inFlight++;
    this.o.js.publish(e.subject, e.data, { msgID: `${this.prefix}-${e.n}`, expect: { streamName: this.o.stream }, timeout: TIMEOUT_MS }).then(
      () => {
        this.inFlight--;
        e.stored = true;
        this.failures = 0;
        this.advance();
        this.pump();
      },
      (err: Error) => {
        this.inFlight--;
        if (e.stored || round !== this.round) return this.pump();
        retries.inc();
        this.o.onRetry?.(err);
        this.retryFromHead();
      },
    );
  }

  /** Send again, in order, everything not stored yet, after a backoff. */
  private retryFromHead(): void {
    this.round++;
    this.next = this.head;
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
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
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
