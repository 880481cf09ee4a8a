// Stanzas to the router over a few long-lived Route streams. Stanzas queued in
// one turn of the event loop go as one batch; a session always uses the same
// stream so its stanzas stay in order. A broken stream is reopened.
import type { ClientWritableStream } from '@grpc/grpc-js';
import type { Logger } from '@cx/log';
import { routerv1 } from '@cx/proto';
import { waitingMetadata } from '@cx/grpc';
import type { Span } from '@cx/tracing';

type Stream = ClientWritableStream<routerv1.StanzaBatch>;

export class RouterLink {
  private readonly streams: Array<Stream | undefined>;
  private readonly queues: routerv1.Stanza[][];
  private readonly blocked: boolean[];
  private scheduled = false;
  private closed = false;
  /** Spans of traced stanzas queued this turn, ended when they are written. */
  private spans: Span[] = [];
  sent = 0;

  constructor(private readonly client: routerv1.RouterServiceClient, private readonly edgeId: string, size: number, private readonly log: Logger) {
    this.streams = new Array(size).fill(undefined);
    this.queues = Array.from({ length: size }, () => []);
    this.blocked = new Array(size).fill(false);
  }

  private stream(slot: number): Stream {
    const existing = this.streams[slot];
    if (existing) return existing;
    const s = this.client.route(waitingMetadata(), (err) => {
      if (this.streams[slot] === s) this.streams[slot] = undefined;
      if (err && !this.closed) this.log.warn({ err: err.message }, 'route stream closed');
    });
    s.on('error', () => undefined);
    s.on('drain', () => {
      this.blocked[slot] = false;
      this.flushSlot(slot);
    });
    this.streams[slot] = s;
    return s;
  }

  send(slotKey: number, stanza: routerv1.Stanza, span?: Span): void {
    this.queues[slotKey % this.queues.length].push(stanza);
    if (span) this.spans.push(span);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (let i = 0; i < this.queues.length; i++) this.flushSlot(i);
    if (this.spans.length) this.endSpans();
  }

  private endSpans(): void {
    for (const s of this.spans) s.end();
    this.spans = [];
  }

  private flushSlot(slot: number): void {
    const q = this.queues[slot];
    if (q.length === 0 || this.blocked[slot] || this.closed) return;
    this.queues[slot] = [];
    this.sent += q.length;
    if (!this.stream(slot).write({ edgeId: this.edgeId, stanzas: q })) this.blocked[slot] = true;
  }

  close(): void {
    this.flush();
    this.closed = true;
    for (const s of this.streams) s?.end();
  }
}
