// One client connection: the only place the c2s machine meets I/O. It feeds
// parser events (and the liveness tick) into the machine and carries out the
// actions it returns; stream management is ConnectionSm's (sm/), writing is
// Output's.
import { Socket as NetSocket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { TlsContext } from './tls-context';
import { withChannelBindings } from './channel-binding';
import { countSaslLimit, startSasl } from './sasl-start';
import { CsiBuffer } from './csi-buffer';
import type { IpLimits } from './ip-limits';
import type { FlowControl } from './flow-control';
import { limitsHit } from './limit-metrics';
import { authenticatedLimits, limitLabel, preauthParserOptions, type StanzaPolicy } from './stanza-limits';
import type { C2sAction, C2sContext, C2sEvent, C2sMachine, C2sState } from '@cx/c2s';
import { XmlStreamParser } from '@cx/xml-stream';
import type { Element, StreamErrorCondition } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { EdgeServices } from './services';
import type { SmSession } from './sm/sm-session';
import { ConnectionSm } from './sm/connection-sm';
import { spanTraceparent, tracingOn } from '@cx/tracing';
import { stanzaSpan } from './tracing';
import { outageReply } from './outage';
import { bareOf } from './offline-reports';
import { Output } from './output';
import type { Wire } from './wire';
import { routedStanza, StanzaKind, stanzaKind } from '@cx/stanza';

export type { Wire } from './wire';

const NOT_A_STANZA = StanzaKind.STANZA_KIND_UNSPECIFIED;
const SASL_PAYLOAD = /(<(auth|response|challenge|success)\b[^>]*>)[^<]+/g;
const PASSWORD = /(<password>)[^<]*/g;

export interface ConnectionOptions {
  id: string;
  socket: Wire;
  machine: C2sMachine;
  ctx: C2sContext;
  services: EdgeServices;
  log: Logger;
  stanzaPolicy: StanzaPolicy;
  /** For STARTTLS. */
  tls?: TlsContext;
  /** Encrypted from the first byte (XEP-0368 direct TLS). */
  secure?: boolean;
  /** A connection not authenticated by then is closed with connection-timeout (0: never). */
  authTimeoutMs?: number;
  /** Per-address authentication failures (ip-limits.ts). */
  limits?: IpLimits;
  /** CSI_MAX_BUFFER_BYTES (csi-buffer.ts). */
  csiMaxBytes?: number;
  /** The shaper and the unread-output bound (flow-control.ts). */
  flow?: FlowControl;
}

/** How a stream that this event closed ended: 'closed' by the client, 'error', 'kick:<condition>' (else it stays 'lost'). */
function endReasonOf(event: C2sEvent): string | undefined {
  switch (event.type) {
    case 'stream-close':
      return 'closed';
    case 'kick':
      return `kick:${event.condition}`;
    case 'parse-error':
      return 'error';
    case 'liveness':
      return 'kick:connection-timeout';
    default:
      return undefined;
  }
}

export class Connection {
  readonly id: string;
  private socket: Wire;
  private state: C2sState;
  private ctx: C2sContext;
  private readonly machine: C2sMachine;
  private readonly svc: EdgeServices;
  private readonly log: Logger;
  private readonly o: ConnectionOptions;
  private readonly parser: XmlStreamParser;
  private readonly output: Output;
  private readonly smGlue: ConnectionSm;
  readonly csi = new CsiBuffer();
  /** Stream management (XEP-0198), once enabled or resumed (set by the stream manager). */
  sm?: SmSession;
  private exchange = 0;
  private ended = false;
  /** How the stream ended: 'closed' by the client, 'lost', 'error', or 'kick:<condition>'. */
  private endReason = 'lost';
  private authTimer?: NodeJS.Timeout;
  /** Whether the lower pre-authentication stanza limits were lifted. */
  private authenticated = false;
  private readonly debug: boolean;
  private readonly trace: boolean;
  /** When the client last sent anything (XEP-0199 pings). */
  lastHeard = Date.now();
  private remoteCache?: string;

  private readonly onData = (chunk: Buffer) => {
    this.lastHeard = Date.now();
    if (this.debug) this.log.debug({ conn: this.id, xml: this.redact(chunk.toString('utf8')) }, 'recv');
    this.o.flow?.received(chunk.length, this.socket);
    this.parser.write(chunk);
  };

  constructor(o: ConnectionOptions) {
    this.o = o;
    ({ id: this.id, socket: this.socket, machine: this.machine, ctx: this.ctx, services: this.svc, log: this.log } = o);
    this.debug = this.log.isLevelEnabled('debug');
    this.trace = this.log.isLevelEnabled('trace');
    if (o.csiMaxBytes !== undefined) this.csi.maxBytes = o.csiMaxBytes;
    this.state = this.machine.initial(this.ctx, o.secure ?? false);
    this.output = this.createOutput();
    this.smGlue = new ConnectionSm({
      host: this,
      manager: this.svc.sm,
      log: this.log,
      resumed: () => this.svc.resumed(this),
      ended: (jid) => this.svc.ended(this, jid),
      unbind: (jid) => this.svc.unbind(this.id, jid),
    });
    this.startAuthTimer(o.authTimeoutMs ?? 0);
    const socket: Wire = o.socket;
    if (o.secure && o.socket instanceof TLSSocket) {
      // tls-unique names the handshake that made the connection: no other may follow (RFC 5929 §3.1).
      o.socket.disableRenegotiation();
      this.ctx = withChannelBindings(this.ctx, o.socket);
    }
    this.parser = this.createParser();
    if (o.socket instanceof NetSocket) o.socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (err) => this.log.debug({ conn: this.id, err: err.message }, 'socket error'));
    socket.on('close', () => this.dispatch({ type: 'socket-closed' }));
    if (this.debug) this.log.debug({ conn: this.id, remote: socket.remoteAddress }, 'connected');
  }

  private createOutput(): Output {
    return new Output({
      socket: () => this.socket,
      flow: this.o.flow,
      trace: this.debug ? (data) => this.log.debug({ conn: this.id, xml: this.redact(data.toString()) }, 'send') : undefined,
      offlineWritten: (seqs) => this.svc.offlineHandled?.(bareOf(this.jid as string), seqs),
      overflow: () => {
        limitsHit.inc({ limit: 'send-buffer' });
        this.kick('resource-constraint', 'too much output left unread');
      },
    });
  }

  private createParser(): XmlStreamParser {
    return new XmlStreamParser(
      {
        onStreamStart: (name, attrs) => this.dispatch({ type: 'stream-open', name, attrs }),
        onStanza: (el) => {
          // XEP-0198 counts stanzas only, not nonzas like <r/> and <a/>.
          if (stanzaKind(el.name) !== NOT_A_STANZA && (el.attrs.xmlns === undefined || el.attrs.xmlns === 'jabber:client')) this.smGlue.received();
          this.dispatch({ type: 'element', el });
        },
        onStreamEnd: () => this.dispatch({ type: 'stream-close' }),
        onError: (condition, text, limit) => {
          if (limit !== undefined) limitsHit.inc({ limit: limitLabel(limit, this.authenticated) });
          this.dispatch({ type: 'parse-error', condition: condition as StreamErrorCondition, text });
        },
      },
      preauthParserOptions(this.o.stanzaPolicy),
    );
  }

  private startAuthTimer(ms: number): void {
    if (ms <= 0) return;
    this.authTimer = setTimeout(() => {
      if (this.state.username !== undefined) return;
      limitsHit.inc({ limit: 'auth-timeout' });
      this.kick('connection-timeout', `authenticate within ${Math.round(ms / 1000)} s`);
    }, ms);
    this.authTimer.unref();
  }

  /** The client's address (per-IP limits). */
  get remote(): string {
    // Read once: the socket's getter asks the kernel every time.
    return (this.remoteCache ??= this.socket.remoteAddress ?? '');
  }

  get jid(): string | undefined {
    return this.state.jid;
  }

  get gone(): boolean {
    return this.ended;
  }

  get username(): string | undefined {
    return this.state.username;
  }

  get established(): boolean {
    return this.state.name === 'session_established' || this.state.name === 'wait_for_session';
  }

  /** Called about once a second by the edge: the machine pings an idle bound client and closes one that stays silent (XEP-0199). */
  checkLiveness(now: number, seq: number): void {
    if (this.established) this.dispatch({ type: 'liveness', now, idleMs: now - this.lastHeard, seq });
  }

  dispatch(event: C2sEvent): void {
    const prev = this.state;
    const t = this.machine.transition(prev, event, this.ctx);
    this.state = t.state;
    if (t.state.name === 'closed' && prev.name !== 'closed') this.endReason = endReasonOf(event) ?? this.endReason;
    if (!this.authenticated && t.state.username !== undefined) {
      // Authenticated: the normal stanza limits from now on (stanza-limits.ts).
      this.authenticated = true;
      this.parser.setLimits(authenticatedLimits(this.o.stanzaPolicy));
    }
    countSaslLimit(prev, t.state);
    if (this.debug && prev.name !== t.state.name) this.log.debug({ conn: this.id, from: prev.name, to: t.state.name }, 'state');
    for (const a of t.actions) this.run(a);
  }

  /**
   * A stanza routed to this session, already serialized (kind UNSPECIFIED: a
   * server reply to this session); offlineSeq: a stored offline message,
   * deleted once written (no SM) or acknowledged (SM).
   */
  deliver(xml: Uint8Array, kind: StanzaKind = NOT_A_STANZA, offlineSeq?: number): void {
    // Stream-managed: only what came through the stream is counted; put it there first.
    if (this.sm && this.smGlue.deliver(xml, kind, offlineSeq)) return;
    const data = Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
    // Not held back by CSI: it is a message, and it is reported once the socket has it.
    if (offlineSeq) return void (this.jid && this.output.writeOffline(data, offlineSeq));
    if (!this.csi.inactive) return this.write(data); // the common case: no array per delivery
    for (const b of this.csi.offer(data, kind)) this.write(b);
  }

  private run(a: C2sAction): void {
    switch (a.type) {
      case 'send':
        return this.send(a.el);
      case 'close':
        return this.close();
      case 'restart':
        return this.parser.reset();
      case 'starttls':
        return this.startTls();
      case 'csi':
        if (!a.active) this.csi.inactive = true;
        else for (const b of this.csi.activate()) this.smGlue.release(b);
        return;
      case 'sm-enable':
        return this.smGlue.enable(a.resume, a.max);
      case 'sm-request':
        return this.smGlue.request();
      case 'sm-ack':
        return this.smGlue.ack(a.h);
      case 'sm-resume':
        return this.smGlue.resume(a.previd, a.h);
      case 'sasl-start': {
        const o = { sasl: this.svc.sasl, limits: this.o.limits, domain: this.ctx.domain, secure: this.state.secure, remote: this.remote, socket: this.socket };
        this.exchange = startSasl({ ...o, mechanism: a.mechanism, initial: a.initial, result: (result) => this.dispatch({ type: 'sasl-result', result }) });
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
        this.svc.account(a.op, a.username, a.password, this.id).then((r) => this.dispatch({ type: 'account-result', iq: a.iq, op: a.op, ...r }));
        return;
      case 'route':
        return this.route(a.el);
      case 'send-after-routed':
        return this.svc.whenRouted(this.id, () => {
          if (!this.gone) this.send(a.el);
        });
      case 'limit-hit':
        return void limitsHit.inc({ limit: a.limit });
      case 'ended':
        return this.end();
    }
  }

  /** What the machine sends: a stanza goes through the stream once stream management counts (a ping, an error). */
  private send(el: Element | string): void {
    if (typeof el === 'string') return this.write(el);
    const kind = stanzaKind(el.name);
    if (kind !== NOT_A_STANZA && this.smGlue.started) return this.sendStanza(el.toString(), kind);
    this.write(el.toString());
  }

  /** A stanza we generate: with stream management it goes through the stream to be counted. */
  private sendStanza(xml: string, kind: StanzaKind): void {
    if (!this.smGlue.send(xml, kind)) this.write(xml);
  }

  /** RFC 6120 §5.4.3.3: after <proceed/>, TLS on the same socket; the client then opens a new stream. */
  private startTls(): void {
    this.output.flush();
    const raw = this.socket;
    if (!(raw instanceof NetSocket)) return void this.close(); // never offered on WebSocket
    raw.off('data', this.onData);
    this.parser.reset();
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.o.tls?.context });
    secure.disableRenegotiation();
    secure.on('data', this.onData);
    secure.once('secure', () => (this.ctx = withChannelBindings(this.ctx, secure)));
    secure.on('error', (err) => {
      this.log.debug({ conn: this.id, err: err.message }, 'TLS error');
      secure.destroy();
    });
    this.socket = secure;
  }

  private route(el: Element): void {
    if (this.svc.busUp?.() === false) return this.refuseInOutage(el);
    const xml = el.toString();
    if (this.debug) this.log.debug({ conn: this.id, xml }, 'route');
    const span = tracingOn() ? stanzaSpan(el, this.id) : undefined;
    const smIn = this.smGlue.routed();
    const envelope = { from: this.state.jid as string, connectionId: this.id, xml: Buffer.from(xml, 'utf8'), smIn, traceparent: span && spanTraceparent(span) };
    this.svc.route(this.id, routedStanza(el, envelope), span);
  }

  /** NATS is down: an error of type wait instead of routing into the void (outage.ts). */
  private refuseInOutage(el: Element): void {
    const reply = outageReply(el, this.state.jid as string);
    if (!reply) return;
    const send = () => this.sendStanza(reply.toString(), stanzaKind(reply.name));
    // Stream-managed: what we send goes through JetStream to be counted, so it waits until NATS is back.
    const back = this.smGlue.started ? this.svc.busBack?.() : undefined;
    if (back) void back.then(send);
    else send();
  }

  /** Kick.resumed: the session now lives on another connection. */
  handOver(): void {
    this.smGlue.handOver();
    this.kick('conflict', 'the session was resumed on another connection');
  }

  write(data: string | Buffer): void {
    this.output.write(data);
  }

  /** Close our stream and the socket; the peer gets a moment to close its side. */
  close(): void {
    if (this.socket.writableEnded) return;
    this.write('</stream:stream>');
    this.output.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** resumable false: a stream-managed session ends rather than waiting to be resumed. */
  kick(condition: StreamErrorCondition, text?: string, o?: { resumable: boolean }): void {
    if (o?.resumable === false) this.smGlue.final = true;
    this.dispatch({ type: 'kick', condition, text });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.authTimer);
    this.o.flow?.stop();
    this.parser.end();
    if (this.exchange) this.svc.sasl.abort(this.exchange);
    this.smGlue.end(this.endReason, this.state.jid);
    if (!this.socket.writableEnded) this.close();
  }

  private redact(s: string): string {
    return this.trace ? s : s.replace(SASL_PAYLOAD, '$1[redacted]').replace(PASSWORD, '$1[redacted]');
  }
}
