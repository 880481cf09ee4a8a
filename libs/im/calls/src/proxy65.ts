// The XEP-0065 proxy's relay: each connection does the SOCKS5 handshake
// (socks5.ts) and waits under its stream hash; when the requester activates
// the stream, the two connections of that hash are joined and bytes flow
// both ways, at most `bytesPerSec` a second for the pair. Bounded in streams
// (pending and active); an unactivated connection is closed after a while.
import { connect, type Socket } from 'node:net';
import { connectReply, readConnect, readGreeting, SOCKS5_REPLY, type Socks5Step } from './socks5';

/**
 * Where the first half of each stream waits, shared by every proxy (NATS KV
 * in the edge): the second half may reach another proxy behind the same
 * address, which then splices it to the first one's.
 */
export interface StreamDirectory {
  /** Null: the stream is this proxy's (now, or already); else the address of the proxy holding its first half. */
  claim(hash: string): Promise<{ host: string; port: number } | null>;
  /** The stream is activated or gone. */
  release(hash: string): void;
}

export interface Proxy65Options {
  /** Streams (a pair of connections, pending or relaying) at once; one more is refused. */
  maxStreams: number;
  /** Bytes a second one stream relays, both directions together (0: no bound). */
  bytesPerSec: number;
  /** How long a connection may wait for its activation. */
  pendingTimeoutMs: number;
  /** Told what happens (metrics). */
  events?: Partial<Proxy65Events>;
  /** Shared with the other proxies (none: a stream's halves must reach this one). */
  directory?: StreamDirectory;
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
  /** Halves passed on to another proxy, and connections waiting for the directory's answer. */
  private elsewhere = 0;

  constructor(private readonly opts: Proxy65Options) {}

  /** Streams pending and relaying. */
  get streams(): number {
    return this.pending.size + this.active + this.elsewhere;
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
    const dir = this.opts.directory;
    if (p || !dir) return this.hold(socket, hash, rest);
    this.elsewhere++;
    void dir
      .claim(hash)
      .catch(() => null)
      .then((at) => {
        this.elsewhere--;
        if (socket.destroyed) return;
        if (at) return this.splice(socket, hash, rest, at);
        if ((this.pending.get(hash)?.sockets.length ?? 0) >= 2) return void socket.end(connectReply(SOCKS5_REPLY.notAllowed, hash));
        this.hold(socket, hash, rest);
      });
  }

  private hold(socket: Socket, hash: string, rest: Buffer): void {
    const entry = this.pending.get(hash) ?? { sockets: [], timer: setTimeout(() => this.drop(hash), this.opts.pendingTimeoutMs) };
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

  /**
   * The other half waits at another proxy: connect to it as this client
   * would (the same SOCKS5 request) and pass the bytes through; that proxy
   * activates and bounds the stream.
   */
  private splice(socket: Socket, hash: string, rest: Buffer, at: { host: string; port: number }): void {
    this.elsewhere++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.elsewhere--;
      socket.destroy();
      upstream.destroy();
    };
    const upstream = connect(at.port, at.host);
    upstream.on('error', end);
    socket.on('error', end);
    socket.once('close', end);
    upstream.once('close', end);
    const name = Buffer.from(hash, 'latin1');
    upstream.once('connect', () => upstream.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, Buffer.from([0, 0])])));
    const want = 2 + 5 + name.length + 2;
    let got = Buffer.alloc(0);
    const onReply = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < want) return;
      upstream.off('data', onReply);
      const code = got[3];
      if (got[0] !== 5 || got[1] !== 0 || code !== SOCKS5_REPLY.succeeded) {
        socket.end(connectReply(code === undefined ? SOCKS5_REPLY.failure : code, hash));
        return;
      }
      socket.write(connectReply(SOCKS5_REPLY.succeeded, hash));
      const early = got.subarray(want);
      if (early.length) socket.write(early);
      if (rest.length) upstream.write(rest);
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
    };
    upstream.on('data', onReply);
  }

  private drop(hash: string): void {
    const p = this.pending.get(hash);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(hash);
    this.opts.directory?.release(hash);
    for (const s of p.sockets) s.socket.destroy();
  }

  /** The requester activates the stream (XEP-0065 §6.3.4): join its two connections. */
  activate(hash: string): ActivateResult {
    const p = this.pending.get(hash);
    if (!p) return 'not-found';
    if (p.sockets.length < 2) return 'one-side';
    clearTimeout(p.timer);
    this.pending.delete(hash);
    this.opts.directory?.release(hash);
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
