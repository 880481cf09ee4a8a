// Many request/response conversations over a few long-lived bidirectional
// gRPC streams, told apart by an id carried in every message. A message on an
// open stream costs far less than a unary call (no HTTP/2 stream, headers or
// status each time). When a stream breaks, its open conversations are told
// (onBroken) and the stream is reopened on next use.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '@cx/log';

export interface Conversation<Res> {
  /** Returns true when this response ends the conversation. */
  onResponse(res: Res): boolean;
  onBroken(): void;
}

export class DuplexMux<Req, Res> {
  private readonly streams: Array<ClientDuplexStream<Req, Res> | undefined>;
  private readonly open = new Map<number, { slot: number; c: Conversation<Res> }>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly connect: () => ClientDuplexStream<Req, Res>,
    private readonly idOf: (res: Res) => number,
    size: number,
    private readonly log: Logger,
  ) {
    this.streams = new Array(size).fill(undefined);
  }

  /** Start a conversation; returns its id. */
  start(c: Conversation<Res>): number {
    const id = this.nextId++;
    this.open.set(id, { slot: id % this.streams.length, c });
    return id;
  }

  write(id: number, req: Req): void {
    const o = this.open.get(id);
    if (o) this.stream(o.slot).write(req);
  }

  /** Forget a conversation (after writing its last message, if any). */
  end(id: number): void {
    this.open.delete(id);
  }

  private stream(slot: number): ClientDuplexStream<Req, Res> {
    const existing = this.streams[slot];
    if (existing) return existing;
    const s = this.connect();
    s.on('data', (res: Res) => {
      const id = this.idOf(res);
      const o = this.open.get(id);
      if (o && o.c.onResponse(res)) this.open.delete(id);
    });
    const broken = (err?: Error) => {
      if (this.streams[slot] !== s) return;
      this.streams[slot] = undefined;
      if (!this.closed) this.log.warn({ stream: this.name, err: err?.message }, 'stream closed');
      for (const [id, o] of this.open) {
        if (o.slot !== slot) continue;
        this.open.delete(id);
        o.c.onBroken();
      }
    };
    s.on('error', broken);
    s.on('end', () => broken());
    this.streams[slot] = s;
    return s;
  }

  close(): void {
    this.closed = true;
    for (const s of this.streams) s?.end();
  }
}
