// Flow control of one client connection, both directions:
// - inbound, the traffic shaper (ejabberd's `shaper` with `maxrate`): over its
//   rate a connection is not read until its bucket has refilled, so a flood is
//   slowed at the socket, in order, and the kernel's TCP window pushes back on
//   the sender; nothing is dropped and nobody else waits;
// - outbound, the bound on output the client leaves unread: past it the
//   connection is told (once) that it overflowed, and is closed with
//   resource-constraint (RFC 6120 §4.9.3.17) instead of buffering without end.
import { Counter } from 'prom-client';
import { TokenBucket } from './token-bucket';

const pauses = new Counter({ name: 'xmpp_edge_shaper_pauses_total', help: 'Times the traffic shaper stopped reading a connection that was over its rate' });
const pausedSeconds = new Counter({ name: 'xmpp_edge_shaper_paused_seconds_total', help: 'Seconds connections spent unread because of the traffic shaper' });

export interface FlowSettings {
  /** Inbound bytes a second per connection (0: no shaper). */
  bytesPerSecond: number;
  /** Bytes a connection may send at once above the rate. */
  burstBytes: number;
  /** Output a client may leave unread before it is closed (0: no bound). */
  maxSendBuffer: number;
}

/** What flow control needs of a wire; TCP/TLS sockets and WsWire have it all. */
export interface FlowWire {
  readonly destroyed: boolean;
  readonly writableLength?: number;
  pause?(): unknown;
  resume?(): unknown;
}

export class FlowControl {
  private readonly bucket?: TokenBucket;
  private timer?: NodeJS.Timeout;
  private overflowed = false;

  private constructor(
    private readonly maxSendBuffer: number,
    bucket?: TokenBucket,
  ) {
    this.bucket = bucket;
  }

  /** One per connection; undefined when every limit is off. */
  static create(s: FlowSettings): FlowControl | undefined {
    if (s.bytesPerSecond <= 0 && s.maxSendBuffer <= 0) return undefined;
    const bucket = s.bytesPerSecond > 0 ? new TokenBucket(s.bytesPerSecond, Math.max(1, s.burstBytes)) : undefined;
    return new FlowControl(s.maxSendBuffer, bucket);
  }

  /** Bytes just read from `wire`: over the rate, stop reading it until the debt is paid. */
  received(n: number, wire: FlowWire): void {
    if (this.bucket === undefined) return;
    const wait = this.bucket.take(n);
    if (wait > 0 && this.timer === undefined) this.pause(wait, wire);
  }

  /** After a write: true, once, when the client leaves more than the bound unread. */
  overflow(wire: FlowWire): boolean {
    if (this.maxSendBuffer <= 0 || this.overflowed || (wire.writableLength ?? 0) <= this.maxSendBuffer) return false;
    this.overflowed = true;
    return true;
  }

  /** The connection ended. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get paused(): boolean {
    return this.timer !== undefined;
  }

  private pause(ms: number, wire: FlowWire): void {
    wire.pause?.();
    pauses.inc();
    this.wait(ms, wire);
  }

  /** One timer per paused connection; none for a connection within its rate. */
  private wait(ms: number, wire: FlowWire): void {
    pausedSeconds.inc(ms / 1000);
    this.timer = setTimeout(() => {
      // What was already read when the pause began (the rest of a socket read,
      // the frames a WebSocket had parsed) added to the debt: wait for it too.
      const more = this.bucket?.take(0) ?? 0;
      if (more > 0) return this.wait(more, wire);
      this.timer = undefined;
      if (!wire.destroyed) wire.resume?.();
    }, ms);
  }
}
