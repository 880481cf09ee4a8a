// Many request/response conversations over a few long-lived bidirectional
// gRPC streams, told apart by an id carried in every message. A message on an
// open stream costs far less than a unary call (no HTTP/2 stream, headers or
// status each time). When a stream breaks, its open conversations are told
// (onBroken) and the stream is reopened on next use.
//
// Streams are opened with waitForReady and no deadline (they live long), so a
// peer that is down would leave a conversation waiting for as long as it stays
// down. Every write therefore has a deadline for its answer (timeoutMs): past it the
// caller is told (onTimeout) and can answer its client. When the peer is known
// to be unreachable (down(): e.g. its channel has been in TRANSIENT_FAILURE for
// a deadline already) a new conversation fails at once instead (onBroken). What was written stays queued
// on the stream and reaches the peer once it is back, so a conversation with
// onLate is kept after its deadline (up to lateMs) to undo an answer its caller
// no longer waits for.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '@cx/log';

export interface Conversation<Res> {
  /** Returns true when this response ends the conversation. */
  onResponse(res: Res): boolean;
  /** The stream broke, or the peer is down: the conversation is over. */
  onBroken(): void;
  /** No answer within timeoutMs: the conversation is over for its caller (default: onBroken). */
  onTimeout?(): void;
  /**
   * The answer to a conversation after its onTimeout: undo what it did, if
   * anything. Undefined when no answer will come (its stream broke, or lateMs passed).
   */
  onLate?(res: Res | undefined): void;
}

/** Why a conversation ended without its answer (for metrics). */
export type Unanswered = 'deadline' | 'down' | 'broken' | 'late';

export interface DuplexMuxOptions<Req, Res> {
  name: string;
  connect: () => ClientDuplexStream<Req, Res>;
  idOf: (res: Res) => number;
  /** Streams to spread conversations over. */
  size: number;
  log: Logger;
  /** Deadline in ms of the answer to each write (0: none). */
  timeoutMs?: number;
  /** How long after its deadline a conversation with onLate still waits for its answer (default 10 × timeoutMs). */
  lateMs?: number;
  /** The peer is known to be unreachable: conversations fail at once instead of waiting for the deadline. */
  down?: () => boolean;
  /** Told of every conversation that ended without an answer, and of late answers. */
  onUnanswered?: (why: Unanswered) => void;
}

interface Open<Res> {
  slot: number;
  c: Conversation<Res>;
  timer?: NodeJS.Timeout;
  /** Past its deadline: an answer goes to onLate. */
  late?: boolean;
}

export class DuplexMux<Req, Res> {
  private readonly streams: Array<ClientDuplexStream<Req, Res> | undefined>;
  private readonly open = new Map<number, Open<Res>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly o: DuplexMuxOptions<Req, Res>) {
    this.streams = new Array(o.size).fill(undefined);
  }

  /**
   * Start a conversation; returns its id. When the peer is down, c.onBroken is
   * called (on the next tick, so the caller sees the id first) and writes to
   * the id are dropped.
   */
  start(c: Conversation<Res>): number {
    const id = this.nextId++;
    if (this.o.down?.()) {
      this.o.onUnanswered?.('down');
      setImmediate(() => c.onBroken());
      return id;
    }
    this.open.set(id, { slot: id % this.streams.length, c });
    return id;
  }

  /** Write a request; the deadline runs from it until the next response (so a client's think time between steps is not counted). */
  write(id: number, req: Req): void {
    const o = this.open.get(id);
    if (!o || o.late) return;
    if (this.o.timeoutMs && !o.timer) o.timer = setTimeout(() => this.expire(id, o), this.o.timeoutMs).unref();
    this.stream(o.slot).write(req);
  }

  /** Forget a conversation (after writing its last message, if any). */
  end(id: number): void {
    const o = this.open.get(id);
    if (o) this.forget(id, o);
  }

  /** Conversations not yet ended (those waiting for a late answer included). */
  get size(): number {
    return this.open.size;
  }

  private forget(id: number, o: Open<Res>): void {
    clearTimeout(o.timer);
    this.open.delete(id);
  }

  private expire(id: number, o: Open<Res>): void {
    if (this.open.get(id) !== o) return;
    this.o.onUnanswered?.('deadline');
    // Told first, while it may still write (an abort, say).
    if (o.c.onTimeout) o.c.onTimeout();
    else o.c.onBroken();
    if (this.open.get(id) !== o) return; // ended by its handler
    if (!o.c.onLate) return void this.open.delete(id);
    o.late = true;
    o.timer = setTimeout(
      () => {
        this.forget(id, o);
        o.c.onLate?.(undefined);
      },
      this.o.lateMs ?? 10 * (this.o.timeoutMs ?? 0),
    ).unref();
  }

  private answered(res: Res): void {
    const id = this.o.idOf(res);
    const o = this.open.get(id);
    if (!o) return;
    if (o.late) {
      this.forget(id, o);
      this.o.onUnanswered?.('late');
      o.c.onLate?.(res);
    } else if (o.c.onResponse(res)) {
      this.forget(id, o);
    } else {
      clearTimeout(o.timer);
      o.timer = undefined;
    }
  }

  private stream(slot: number): ClientDuplexStream<Req, Res> {
    const existing = this.streams[slot];
    if (existing) return existing;
    const s = this.o.connect();
    s.on('data', (res: Res) => this.answered(res));
    const broken = (err?: Error) => {
      if (this.streams[slot] !== s) return;
      this.streams[slot] = undefined;
      if (!this.closed) this.o.log.warn({ stream: this.o.name, err: err?.message }, 'stream closed');
      for (const [id, o] of this.open) {
        if (o.slot !== slot) continue;
        this.forget(id, o);
        // What was queued on this stream is lost with it: a late answer cannot come.
        if (o.late) {
          o.c.onLate?.(undefined);
          continue;
        }
        this.o.onUnanswered?.('broken');
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
