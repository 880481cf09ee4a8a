// The XEP-0065 proxy's relay: each connection does the SOCKS5 handshake
// (socks5.ts) and waits under its stream hash; when the requester activates
// the stream, the two connections of that hash are joined and bytes flow
// both ways, at most `bytesPerSec` a second for the pair. Bounded in streams
// (pending and active); an unactivated connection is closed after a while.
import type { Socket } from 'node:net';
import { connectReply, readConnect, readGreeting, SOCKS5_REPLY, type Socks5Step } from './socks5';

export interface Proxy65Options {
  /** Streams (a pair of connections, pending or relaying) at once; one more is refused. */
  maxStreams: number;
  /** Bytes a second one stream relays, both directions together (0: no bound). */
  bytesPerSec: number;
  /** How long a connection may wait for its activation. */
  pendingTimeoutMs: number;
  /** Told what happens (metrics). */
  events?: Partial<Proxy65Events>;
}

export interface Proxy65Events {
  refused(why: 'streams' | 'protocol' | 'third'): void;
  activated(): void;
  relayed(bytes: number): void;
  ended(): void;
}

export type ActivateResult = 'activated' | 'not-found' | 'one-side';

interface Pending {
  sockets: Array<{ socket: Socket; rest: Buffer }>;
  timer: NodeJS.Timeout;
}

export class Proxy65 {
  private readonly pending = new Map<string, Pending>();
  private active = 0;

  constructor(private readonly opts: Proxy65Options) {}

  /** Streams pending and relaying. */
  get streams(): number {
    return this.pending.size + this.active;
  }

  /** Does this proxy hold connections for the hash? */
  holds(hash: string): boolean {
    return this.pending.has(hash);
  }

  /** A new connection: the handshake, then it waits under its hash. */
  accept(socket: Socket): void {
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'request' = 'greeting';
    const idle = setTimeout(() => socket.destroy(), this.opts.pendingTimeoutMs);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => clearTimeout(idle));
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 1024) return void socket.destroy();
      const step: Socks5Step = stage === 'greeting' ? readGreeting(buf) : readConnect(buf);
      if (step.kind === 'more') return;
      if (step.kind === 'refuse') {
        this.opts.events?.refused?.('protocol');
        return void socket.end(step.bytes);
      }
      if (step.kind === 'reply') {
        socket.write(step.bytes);
        stage = 'request';
        buf = step.rest;
        if (buf.length) onData(Buffer.alloc(0));
        return;
      }
      socket.off('data', onData);
      socket.pause();
      clearTimeout(idle);
      this.wait(socket, step.host, step.rest);
    };
    socket.on('data', onData);
  }

  private wait(socket: Socket, hash: string, rest: Buffer): void {
    const p = this.pending.get(hash);
    if (p && p.sockets.length >= 2) {
      this.opts.events?.refused?.('third');
      return void socket.end(connectReply(SOCKS5_REPLY.notAllowed, hash));
    }
    if (!p && this.streams >= this.opts.maxStreams) {
      this.opts.events?.refused?.('streams');
      return void socket.end(connectReply(SOCKS5_REPLY.failure, hash));
    }
    const entry = p ?? { sockets: [], timer: setTimeout(() => this.drop(hash), this.opts.pendingTimeoutMs) };
    entry.sockets.push({ socket, rest });
    this.pending.set(hash, entry);
    socket.once('close', () => {
      const cur = this.pending.get(hash);
      if (!cur) return;
      cur.sockets = cur.sockets.filter((s) => s.socket !== socket);
      if (!cur.sockets.length) this.drop(hash);
    });
    socket.write(connectReply(SOCKS5_REPLY.succeeded, hash));
  }

  private drop(hash: string): void {
    const p = this.pending.get(hash);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(hash);
    for (const s of p.sockets) s.socket.destroy();
  }

  /** The requester activates the stream (XEP-0065 §6.3.4): join its two connections. */
  activate(hash: string): ActivateResult {
    const p = this.pending.get(hash);
    if (!p) return 'not-found';
    if (p.sockets.length < 2) return 'one-side';
    clearTimeout(p.timer);
    this.pending.delete(hash);
    const [a, b] = p.sockets;
    this.active++;
    this.opts.events?.activated?.();
    const limit = new RateLimit(this.opts.bytesPerSec);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.opts.events?.ended?.();
    };
    a.socket.removeAllListeners('close');
    b.socket.removeAllListeners('close');
    pump(a.socket, b.socket, a.rest, limit, this.opts.events);
    pump(b.socket, a.socket, b.rest, limit, this.opts.events);
    a.socket.once('close', end);
    b.socket.once('close', end);
    return 'activated';
  }

  /** Close everything (shutdown). */
  close(): void {
    for (const hash of [...this.pending.keys()]) this.drop(hash);
  }
}

/** Bytes a second, shared by both directions of a stream: how long to wait after taking n. */
class RateLimit {
  private allowedAt = Date.now();
  constructor(private readonly bytesPerSec: number) {}
  take(n: number): number {
    if (!this.bytesPerSec) return 0;
    const now = Date.now();
    this.allowedAt = Math.max(this.allowedAt, now - 1000) + (n * 1000) / this.bytesPerSec;
    return Math.max(0, Math.ceil(this.allowedAt - now - 1000));
  }
}

/** src → dst with backpressure and the rate bound; either side closing closes the other once written. */
function pump(src: Socket, dst: Socket, first: Buffer, limit: RateLimit, events?: Partial<Proxy65Events>): void {
  let holds = 0;
  const hold = () => {
    if (holds++ === 0) src.pause();
  };
  const release = () => {
    if (--holds === 0) src.resume();
  };
  const write = (chunk: Buffer) => {
    events?.relayed?.(chunk.length);
    if (!dst.write(chunk)) {
      hold();
      dst.once('drain', release);
    }
  };
  // Over the rate, the chunk waits (and reading stops) until it is its time.
  const forward = (chunk: Buffer) => {
    if (!chunk.length) return;
    const wait = limit.take(chunk.length);
    if (wait <= 0) return write(chunk);
    hold();
    setTimeout(() => {
      write(chunk);
      release();
    }, wait).unref();
  };
  src.on('end', () => dst.end());
  src.on('close', () => dst.end());
  forward(first);
  src.on('data', forward);
  if (holds === 0) src.resume();
}
