// A reader of one subject of a JetStream stream (xmpp_sm, xmpp_muc_in) that
// survives a restart of nats-server. Ordered consumers are ephemeral: after nats-server is killed
// and restarted, nats.js recreates them, but we saw one left unpulled with
// messages pending for 20-45 s. So this reader keeps its own position (the
// last stream sequence it handed on) and, whenever the consumer may be gone
// (the connection came back, the library reports a missing consumer or
// missed heartbeats, or the stream holds messages after ours while nothing
// arrived for a while), closes it and starts a new one at the next sequence.
// A message is handed on once, in order, whatever consumer brought it.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter } from 'prom-client';

const restarts = new Counter({
  name: 'xmpp_stream_reader_restarts_total',
  help: 'Readers of a JetStream stream (xmpp_sm, xmpp_muc_in) that replaced their consumer, by stream and reason',
  labelNames: ['stream', 'reason'],
});

/** How long the reader may stay quiet, while messages after its position exist, before the consumer is replaced. */
const STALL_MS = 1000;
const RETRY_MS = [100, 250, 500, 1000];
const STALL_EVENTS = new Set(['heartbeats_missed', 'consumer_deleted', 'consumer_not_found', 'stream_not_found', 'no_responders']);

export interface FollowOptions {
  js: JetStreamClient;
  nc: NatsConnection;
  stream: string;
  subject: string;
  /** Start after this sequence. */
  afterSeq: number;
  /** Each message after the position, in order, once; a promise holds the next message back until it settles. */
  each: (m: JsMsg) => void | Promise<void>;
  /** The sequence of the first message stored on the subject after `seq` (0: none), to tell a stall from quiet. */
  nextAfter: (seq: number) => Promise<number>;
  /** Read-ahead of the consumer. */
  maxMessages: number;
  onRestart?: (reason: string) => void;
}

export class Follower {
  private last: number;
  private messages?: ConsumerMessages;
  private generation = 0;
  private stopped = false;
  private heardAt = Date.now();
  private suspect = 0;
  private checking = false;
  private failures = 0;
  private readonly watchdog: NodeJS.Timeout;
  private readonly connection: ReturnType<NatsConnection['status']>;

  constructor(private readonly o: FollowOptions) {
    this.last = o.afterSeq;
    this.watchdog = setInterval(() => this.check(), STALL_MS);
    this.watchdog.unref();
    this.connection = o.nc.status();
    void this.watchConnection();
  }

  /** The sequence of the last message handed on. */
  get position(): number {
    return this.last;
  }

  /** Open the first consumer; resolves once it is reading (retrying while JetStream is unavailable). */
  start(): Promise<void> {
    return this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    // nats.js returns a QueuedIterator (typed as a plain AsyncIterable): stop() removes its listener.
    (this.connection as { stop?: () => void }).stop?.();
    await this.messages?.close().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    const old = this.messages;
    this.messages = undefined;
    void old?.close().catch(() => undefined);
    for (;;) {
      if (this.stopped || gen !== this.generation || this.o.nc.isClosed()) return;
      try {
        const consumer = await this.o.js.consumers.get(this.o.stream, {
          filter_subjects: this.o.subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.last + 1,
        });
        const messages = await consumer.consume({ max_messages: this.o.maxMessages, idle_heartbeat: 2000 });
        if (this.stopped || gen !== this.generation) {
          void messages.close().catch(() => undefined);
          return;
        }
        this.messages = messages;
        this.failures = 0;
        this.heardAt = Date.now();
        void this.read(messages, gen);
        void this.watchStatus(messages, gen);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]).unref());
      }
    }
  }

  private restart(reason: string): void {
    if (this.stopped) return;
    restarts.inc({ stream: this.o.stream, reason });
    this.o.onRestart?.(reason);
    void this.open();
  }

  private async read(messages: ConsumerMessages, gen: number): Promise<void> {
    try {
      for await (const m of messages) {
        if (gen !== this.generation) break;
        this.heardAt = Date.now();
        if (m.seq <= this.last) continue;
        this.last = m.seq;
        const pending = this.o.each(m);
        if (pending) await pending;
      }
    } catch {
      // the consumer failed: a new one below
    }
    if (gen === this.generation) this.restart('consumer-ended');
  }

  private async watchStatus(messages: ConsumerMessages, gen: number): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (gen !== this.generation) return;
        if (STALL_EVENTS.has(s.type)) return this.restart(s.type);
      }
    } catch {
      // status ends with the consumer
    }
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.connection) {
      if (this.stopped) return;
      // The server may have lost the consumer (a restart): a new one from our position costs little.
      if (s.type === 'reconnect') this.restart('reconnect');
    }
  }

  /** Quiet for a while though the stream has messages after ours (twice in a row): replace the consumer. */
  private check(): void {
    if (this.stopped || this.checking || !this.messages) return;
    if (Date.now() - this.heardAt < STALL_MS) {
      this.suspect = 0;
      return;
    }
    this.checking = true;
    const at = this.last;
    this.o
      .nextAfter(at)
      .then(
        (seq) => {
          if (seq > 0 && this.last === at) {
            if (++this.suspect >= 2) {
              this.suspect = 0;
              this.restart('stalled');
            }
          } else this.suspect = 0;
        },
        () => undefined,
      )
      .finally(() => (this.checking = false));
  }
}
