// What a connection writes: everything written in one turn of the event loop
// goes to the socket as one write (or one frame each on WebSocket), stored
// offline messages are reported handled once the socket took them (no stream
// management), and a client that leaves too much unread is noticed.
import type { FlowControl } from './flow-control';
import type { Wire } from './wire';

export interface OutputOptions {
  /** The current socket (a new one after STARTTLS). */
  socket(): Wire;
  flow?: FlowControl;
  /** Each write, for the debug log (undefined: not logged). */
  trace?(data: string | Buffer): void;
  /** Stored offline messages in a write the socket took. */
  offlineWritten(seqs: number[]): void;
  /** More output left unread than allowed (FlowControl.overflow). */
  overflow(): void;
}

export class Output {
  private out: Array<string | Buffer> = [];
  private flushing = false;
  /** Stored offline messages in `out`: reported handled once the socket took them. */
  private offline?: number[];

  constructor(private readonly o: OutputOptions) {}

  /** The socket can take no more. */
  get closed(): boolean {
    const s = this.o.socket();
    return s.destroyed || s.writableEnded;
  }

  write(data: string | Buffer): void {
    if (this.closed) return;
    this.o.trace?.(data);
    this.out.push(data);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  /** A stored offline message: written like any stanza, reported once the socket took it; false if it cannot be written (it stays stored). */
  writeOffline(data: Buffer, seq: number): boolean {
    if (this.closed) return false;
    this.write(data);
    (this.offline ??= []).push(seq);
    return true;
  }

  flush(): void {
    this.flushing = false;
    const offline = this.offline;
    this.offline = undefined;
    const socket = this.o.socket();
    if (this.out.length === 0 || this.closed) return;
    const chunks = this.out;
    this.out = [];
    // The last write's callback runs after every earlier one (writes complete in order).
    const done = offline && ((err?: Error | null) => void (err || this.o.offlineWritten(offline)));
    if (chunks.length === 1 || socket.framed) chunks.forEach((c, i) => socket.write(c, i === chunks.length - 1 ? done : undefined));
    else socket.write(Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))), done);
    if (this.o.flow?.overflow(socket)) this.o.overflow();
  }
}
