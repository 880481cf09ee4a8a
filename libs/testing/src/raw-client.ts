// A raw XMPP client over a TCP socket for end-to-end tests: send exact bytes,
// read the server's answers one top-level element at a time.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { XmlStreamParser } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';

export type Received =
  | { kind: 'header'; attrs: Record<string, string> }
  | { kind: 'element'; el: Element }
  | { kind: 'end' }
  | { kind: 'closed' }
  | { kind: 'error'; condition: string };

export const STREAM_HEADER = (to = 'localhost') =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'>`;

export class RawClient {
  private readonly queue: Received[] = [];
  private readonly waiters: Array<(r: Received) => void> = [];
  private readonly parser: XmlStreamParser;
  /** Everything received, as text. */
  raw = '';
  readonly closed: Promise<void>;

  private constructor(public socket: Socket) {
    this.parser = new XmlStreamParser({
      onStreamStart: (_n, attrs) => this.push({ kind: 'header', attrs }),
      onStanza: (el) => this.push({ kind: 'element', el }),
      onStreamEnd: () => this.push({ kind: 'end' }),
      onError: (condition) => this.push({ kind: 'error', condition }),
    });
    socket.on('data', this.onData);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.push({ kind: 'closed' });
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  private readonly onData = (d: Buffer) => {
    this.raw += d.toString('utf8');
    this.parser.write(d);
  };

  /** XEP-0368: TLS from the first byte, trusting `ca`. */
  static connectTls(port: number, ca: Buffer, servername = 'localhost', options: ConnectionOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s: TLSSocket = tlsConnect({ ...options, port, host: '127.0.0.1', ca, servername }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** RFC 6120 §5: <starttls/>, <proceed/>, then TLS on this socket (trusting `ca`); open a new stream afterwards. */
  async starttls(ca: Buffer, servername = 'localhost', options: ConnectionOptions = {}): Promise<void> {
    this.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    const r = await this.element();
    if (r.name !== 'proceed') throw new Error(`expected <proceed/>, got ${r.toString()}`);
    const raw = this.socket;
    raw.off('data', this.onData);
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ ...options, socket: raw, ca, servername }, () => resolve());
      s.once('error', reject);
      s.on('data', this.onData);
      this.socket = s;
    });
  }

  get encrypted(): boolean {
    return (this.socket as TLSSocket).encrypted === true;
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Answer the server's XEP-0199 pings as a real client does (and do not queue them). */
  answerPings = true;
  pingsAnswered = 0;

  private push(r: Received): void {
    if (
      this.answerPings &&
      r.kind === 'element' &&
      r.el.name === 'iq' &&
      r.el.attrs.type === 'get' &&
      r.el.attrs.id?.startsWith('c2s-ping-') &&
      r.el.getChild('ping', 'urn:xmpp:ping')
    ) {
      this.pingsAnswered++;
      this.send(`<iq type='result' id='${r.el.attrs.id}' to='${r.el.attrs.from}'/>`);
      return;
    }
    const w = this.waiters.shift();
    if (w) w(r);
    else this.queue.push(r);
  }

  send(xml: string | Buffer): void {
    this.socket.write(xml);
  }

  /** The next thing the server sent. */
  next(timeoutMs = 5000): Promise<Received> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`nothing received in ${timeoutMs} ms; so far:\n${this.raw.slice(-2000)}`));
      }, timeoutMs);
      const w = (r: Received) => {
        clearTimeout(t);
        resolve(r);
      };
      this.waiters.push(w);
    });
  }

  /** The next top-level element; fails on anything else. */
  async element(timeoutMs = 5000): Promise<Element> {
    const r = await this.next(timeoutMs);
    if (r.kind !== 'element') throw new Error(`expected an element, got ${JSON.stringify(r)}; so far:\n${this.raw.slice(-2000)}`);
    return r.el;
  }

  /** Skip elements until one matches (e.g. ignore presence echoes). */
  async until(pred: (el: Element) => boolean, timeoutMs = 5000): Promise<Element> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const el = await this.element(Math.max(1, until - Date.now()));
      if (pred(el)) return el;
    }
  }

  /** Expect nothing (or nothing matching `pred`) to arrive for a while. */
  async quiet(ms = 300, pred: (el: Element) => boolean = () => true): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return;
      const r = await this.next(left).catch(() => undefined);
      if (!r) return;
      if (r.kind !== 'element' || pred(r.el)) throw new Error(`expected silence, got ${JSON.stringify(r.kind === 'element' ? r.el.toString() : r)}`);
    }
  }

  /** Open a stream (with `header` instead of the usual one, if given); returns the server's header attributes and features. */
  async open(to = 'localhost', header = STREAM_HEADER(to)): Promise<{ header: Record<string, string>; features: Element }> {
    this.parser.reset();
    this.send(header);
    const h = await this.next();
    if (h.kind !== 'header') throw new Error(`expected a stream header, got ${JSON.stringify(h)}`);
    return { header: h.attrs, features: await this.element() };
  }

  /** Expect a stream error with this condition, then the stream end and the socket closed. */
  async expectStreamError(condition: string, timeoutMs = 5000): Promise<void> {
    for (;;) {
      const r = await this.next(timeoutMs);
      if (r.kind === 'header') continue;
      if (r.kind !== 'element' || r.el.name !== 'stream:error')
        throw new Error(`expected stream error ${condition}, got ${JSON.stringify(r.kind === 'element' ? r.el.toString() : r)}`);
      const cond = r.el.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-streams' && c.name !== 'text');
      if (!cond || typeof cond === 'string' || cond.name !== condition) throw new Error(`expected ${condition}, got ${r.el.toString()}`);
      break;
    }
    const end = await this.next(timeoutMs);
    if (end.kind !== 'end' && end.kind !== 'closed') throw new Error(`expected the stream to end, got ${JSON.stringify(end)}`);
    await Promise.race([this.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('socket not closed')), timeoutMs))]);
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end('</stream:stream>');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
