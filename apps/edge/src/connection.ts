// One client connection: the only place the c2s machine meets I/O. It feeds
// parser events into the machine and carries out the actions it returns.
import { Socket as NetSocket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { TlsContext } from './tls-context';
import { channelBindings, withChannelBindings } from './channel-binding';
import { CsiBuffer } from './csi-buffer';
import type { IpLimits } from './ip-limits';
import { Counter } from 'prom-client';

const limitsHit = new Counter({ name: 'xmpp_edge_limits_total', help: 'Connections closed or refused by a limit', labelNames: ['limit'] });
import type { C2sAction, C2sContext, C2sEvent, C2sMachine, C2sState } from '@cx/c2s';
import { XmlStreamParser } from '@cx/xml-stream';
import type { Element, StreamErrorCondition } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { EdgeServices } from './services';

const KIND = { message: 1, presence: 2, iq: 3 } as const;
const SASL_PAYLOAD = /(<(auth|response|challenge|success)\b[^>]*>)[^<]+/g;
const PASSWORD = /(<password>)[^<]*/g;

/** What a connection reads from and writes to: a TCP or TLS socket, or a WebSocket (ws-server.ts). */
export interface Wire {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly remoteAddress?: string;
  /** One element per write (WebSocket framing): writes are not joined. */
  readonly framed?: boolean;
  on(ev: 'data', fn: (b: Buffer) => void): unknown;
  on(ev: 'error', fn: (e: Error) => void): unknown;
  on(ev: 'close', fn: () => void): unknown;
  off(ev: 'data', fn: (b: Buffer) => void): unknown;
  write(data: string | Buffer): unknown;
  end(): unknown;
  destroy(): unknown;
}

export class Connection {
  private state: C2sState;
  private readonly parser: XmlStreamParser;
  private out: Array<string | Buffer> = [];
  private flushing = false;
  private exchange = 0;
  private ended = false;
  private readonly csi = new CsiBuffer();
  /** The client's address (per-IP limits). */
  get remote(): string {
    return this.socket.remoteAddress ?? '';
  }
  private authTimer?: NodeJS.Timeout;
  private answeredPing?: string;

  /** Called about once a second by the edge: ping an idle bound client, close one that stays silent. */
  checkLiveness(now: number, intervalMs: number, timeoutMs: number, seq: number): void {
    if (!this.established || intervalMs <= 0) return;
    if (this.pingId !== undefined) {
      if (now - this.pingSentAt > timeoutMs) {
        limitsHit.inc({ limit: 'ping-timeout' });
        this.kick('connection-timeout', 'no answer to a ping');
      }
      return;
    }
    if (now - this.lastHeard < intervalMs) return;
    this.pingId = `c2s-ping-${seq.toString(36)}`;
    this.answeredPing = this.pingId;
    this.pingSentAt = now;
    this.write(`<iq type="get" id="${this.pingId}" from="${this.ctx.domain}" to="${this.state.jid}"><ping xmlns="urn:xmpp:ping"/></iq>`);
  }
  private readonly debug: boolean;
  private readonly trace: boolean;

  /** When the client last sent anything, and the id of our unanswered ping, if any (XEP-0199). */
  lastHeard = Date.now();
  private pingId?: string;
  private pingSentAt = 0;

  private readonly onData = (chunk: Buffer) => {
    this.lastHeard = Date.now();
    this.pingId = undefined;
    if (this.debug) this.log.debug({ conn: this.id, xml: this.redact(chunk.toString('utf8')) }, 'recv');
    this.parser.write(chunk);
  };

  constructor(
    readonly id: string,
    private socket: Wire,
    private readonly machine: C2sMachine,
    private ctx: C2sContext,
    private readonly svc: EdgeServices,
    private readonly log: Logger,
    maxStanzaBytes: number,
    private readonly tls?: TlsContext,
    secure = false,
    authTimeoutMs = 0,
    private readonly limits?: IpLimits,
  ) {
    if (authTimeoutMs > 0) {
      this.authTimer = setTimeout(() => {
        if (this.state.username !== undefined) return;
        limitsHit.inc({ limit: 'auth-timeout' });
        this.kick('connection-timeout', `authenticate within ${Math.round(authTimeoutMs / 1000)} s`);
      }, authTimeoutMs);
      this.authTimer.unref();
    }
    this.debug = log.isLevelEnabled('debug');
    this.trace = log.isLevelEnabled('trace');
    this.state = machine.initial(ctx, secure);
    if (secure && socket instanceof TLSSocket) this.ctx = withChannelBindings(ctx, socket);
    this.parser = new XmlStreamParser(
      {
        onStreamStart: (name, attrs) => this.dispatch({ type: 'stream-open', name, attrs }),
        onStanza: (el) => {
          // The answer to our own ping is ours, not the router's.
          if (el.name === 'iq' && el.attrs.id !== undefined && el.attrs.id === this.answeredPing && el.attrs.type !== 'get' && el.attrs.type !== 'set') return;
          this.dispatch({ type: 'element', el });
        },
        onStreamEnd: () => this.dispatch({ type: 'stream-close' }),
        onError: (condition, text) => this.dispatch({ type: 'parse-error', condition: condition as StreamErrorCondition, text }),
      },
      { maxStanzaBytes },
    );
    if (socket instanceof NetSocket) socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (err) => this.log.debug({ conn: id, err: err.message }, 'socket error'));
    socket.on('close', () => this.dispatch({ type: 'socket-closed' }));
    if (this.debug) this.log.debug({ conn: id, remote: socket.remoteAddress }, 'connected');
  }

  get jid(): string | undefined {
    return this.state.jid;
  }

  get established(): boolean {
    return this.state.name === 'session_established' || this.state.name === 'wait_for_session';
  }

  dispatch(event: C2sEvent): void {
    const before = this.state.name;
    const t = this.machine.transition(this.state, event, this.ctx);
    this.state = t.state;
    if (this.debug && before !== t.state.name) this.log.debug({ conn: this.id, from: before, to: t.state.name }, 'state');
    for (const a of t.actions) this.run(a);
  }

  /** A stanza routed to this session, already serialized (kind: 1 message, 2 presence, 3 iq, 0 a server reply). */
  deliver(xml: Uint8Array, kind = 0): void {
    const data = Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
    if (!this.csi.inactive) return this.write(data); // the common case: no array per delivery
    for (const b of this.csi.offer(data, kind)) this.write(b);
  }

  private run(a: C2sAction): void {
    switch (a.type) {
      case 'send':
        return this.write(typeof a.el === 'string' ? a.el : a.el.toString());
      case 'close':
        return this.close();
      case 'restart':
        return this.parser.reset();
      case 'starttls':
        return this.startTls();
      case 'csi':
        if (!a.active) this.csi.inactive = true;
        else for (const b of this.csi.activate()) this.write(b);
        return;
      case 'sasl-start': {
        const wait = this.limits?.authBlockedFor(this.remote) ?? 0;
        if (wait > 0) {
          limitsHit.inc({ limit: 'auth-failures-per-ip' });
          return this.dispatch({ type: 'sasl-result', result: { kind: 'failure', condition: 'temporary-auth-failure', text: `too many failed attempts from your address; try again in ${Math.ceil(wait / 1000)} s` } });
        }
        this.exchange = this.svc.sasl.start(
          {
            mechanism: a.mechanism, initialResponse: a.initial ?? undefined, domain: this.ctx.domain, secure: this.state.secure, clientAddress: this.socket.remoteAddress ?? '',
            channelBindings: this.socket instanceof TLSSocket ? channelBindings(this.socket) : [],
          },
          (result) => {
            if (result.kind === 'failure' && result.condition === 'not-authorized') this.limits?.authFailed(this.remote);
            this.dispatch({ type: 'sasl-result', result });
          },
        );
        return;
      }
      case 'sasl-step':
        return this.svc.sasl.step(this.exchange, a.data);
      case 'sasl-abort':
        return this.svc.sasl.abort(this.exchange);
      case 'bind':
        this.svc.bind(this.state.username as string, a.resource, this.id).then(
          (r) => this.dispatch({ type: 'bind-result', iq: a.iq, ...r }),
          () => this.dispatch({ type: 'bind-result', iq: a.iq, condition: 'internal-server-error' }),
        );
        return;
      case 'account':
        this.svc.account(a.op, a.username, a.password).then((r) => this.dispatch({ type: 'account-result', iq: a.iq, op: a.op, ...r }));
        return;
      case 'route':
        return this.route(a.el);
      case 'ended':
        return this.end();
    }
  }

  /** RFC 6120 §5.4.3.3: after <proceed/>, TLS on the same socket; the client then opens a new stream. */
  private startTls(): void {
    this.flush();
    const raw = this.socket;
    if (!(raw instanceof NetSocket)) return void this.close(); // never offered on WebSocket
    raw.off('data', this.onData);
    this.parser.reset();
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.tls?.context });
    secure.on('data', this.onData);
    secure.once('secure', () => (this.ctx = withChannelBindings(this.ctx, secure)));
    secure.on('error', (err) => {
      this.log.debug({ conn: this.id, err: err.message }, 'TLS error');
      secure.destroy();
    });
    this.socket = secure;
  }

  private route(el: Element): void {
    const kind = KIND[el.name as keyof typeof KIND];
    const xml = el.toString();
    if (this.debug) this.log.debug({ conn: this.id, xml }, 'route');
    this.svc.route(this.id, {
      kind,
      from: this.state.jid as string,
      to: el.attrs.to ?? '',
      type: el.attrs.type ?? '',
      id: el.attrs.id ?? '',
      xml: Buffer.from(xml, 'utf8'),
      connectionId: this.id,
      undeliverable: false,
    });
  }

  private write(data: string | Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (this.debug) this.log.debug({ conn: this.id, xml: this.redact(data.toString()) }, 'send');
    this.out.push(data);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    if (this.out.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    const chunks = this.out;
    this.out = [];
    if (chunks.length === 1 || this.socket.framed) for (const c of chunks) this.socket.write(c);
    else this.socket.write(Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))));
  }

  /** Close our stream and the socket; the peer gets a moment to close its side. */
  close(): void {
    if (this.socket.writableEnded) return;
    this.write('</stream:stream>');
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  kick(condition: StreamErrorCondition, text?: string): void {
    this.dispatch({ type: 'kick', condition, text });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.authTimer);
    this.parser.end();
    if (this.exchange) this.svc.sasl.abort(this.exchange);
    this.svc.ended(this, this.state.jid);
    if (!this.socket.writableEnded) this.close();
  }

  private redact(s: string): string {
    return this.trace ? s : s.replace(SASL_PAYLOAD, '$1[redacted]').replace(PASSWORD, '$1[redacted]');
  }
}
