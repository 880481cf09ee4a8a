// One client connection: the only place the c2s machine meets I/O. It feeds
// parser events into the machine and carries out the actions it returns.
import { Socket as NetSocket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { TlsContext } from './tls-context';
import { channelBindings, withChannelBindings } from './channel-binding';
import { CsiBuffer } from './csi-buffer';
import type { IpLimits } from './ip-limits';
import type { FlowControl } from './flow-control';
import { limitsHit } from './limit-metrics';
import { authenticatedLimits, limitLabel, preauthParserOptions, type StanzaPolicy } from './stanza-limits';
import { NS_SM, smFailed, type C2sAction, type C2sContext, type C2sEvent, type C2sMachine, type C2sState } from '@cx/c2s';
import { XmlStreamParser } from '@cx/xml-stream';
import { x, type Element, type StreamErrorCondition } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { EdgeServices } from './services';
import type { SmSession } from './sm/sm-session';
import { spanTraceparent, tracingOn } from '@cx/tracing';
import { stanzaSpan } from './tracing';
import { outageReply } from './outage';
import { bareOf } from './offline-reports';
import { routedStanza, StanzaKind, stanzaKind } from '@cx/stanza';

const { STANZA_KIND_IQ: IQ, STANZA_KIND_UNSPECIFIED: NOT_A_STANZA } = StanzaKind;

/** Counts a stream closed for its SASL attempts (RFC 6120 §6.4.5): too many failures, or too many refused choices. */
function countSaslLimit(prev: C2sState, next: C2sState): void {
  if (next.name !== 'closed' || prev.name === 'closed') return;
  // The machine's own counters say which bound closed the stream.
  if ((next.authRefusals ?? 0) > (prev.authRefusals ?? 0)) limitsHit.inc({ limit: 'auth-refusals-per-stream' });
  else if (next.authFailures > prev.authFailures) limitsHit.inc({ limit: 'auth-failures-per-stream' });
}
/** Ways a stream can end after which a stream-managed session waits to be resumed (XEP-0198 §5). */
const DETACHING = new Set(['lost', 'kick:connection-timeout', 'kick:system-shutdown', 'kick:see-other-host', 'kick:resource-constraint']);
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
  /** `done` runs once the data is handed to the kernel (null) or cannot be (an error). */
  write(data: string | Buffer, done?: (err?: Error | null) => void): unknown;
  end(): unknown;
  destroy(): unknown;
}

export class Connection {
  private state: C2sState;
  private readonly parser: XmlStreamParser;
  private out: Array<string | Buffer> = [];
  private flushing = false;
  /** Stored offline messages in `out` (no SM): reported handled once the socket took them. */
  private outOffline?: number[];
  private exchange = 0;
  private ended = false;
  readonly csi = new CsiBuffer();
  /** Stream management (XEP-0198), once enabled or resumed. */
  sm?: SmSession;
  /** Stanzas received since <enable/>, until the SM session exists. */
  private smPendingIn?: number;
  /** How the stream ended: 'closed' by the client, 'lost', 'error', or 'kick:<condition>'. */
  private endReason = 'lost';
  /** The session was resumed on another connection: this one ends without ending it. */
  private handedOver = false;
  /** Kicked in a way that ends a stream-managed session instead of keeping it for a resumption. */
  private final = false;
  /** The client's address (per-IP limits). */
  get remote(): string {
    // Read once: the socket's getter asks the kernel every time.
    return (this.remoteCache ??= this.socket.remoteAddress ?? '');
  }
  private remoteCache?: string;
  private authTimer?: NodeJS.Timeout;
  private answeredPing?: string;
  /** Whether the lower pre-authentication stanza limits were lifted. */
  private authenticated = false;

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
    this.sendStanza(`<iq type="get" id="${this.pingId}" from="${this.ctx.domain}" to="${this.state.jid}"><ping xmlns="urn:xmpp:ping"/></iq>`, IQ);
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
    this.flow?.received(chunk.length, this.socket);
    this.parser.write(chunk);
  };

  /** The shaper and the unread-output bound (flow-control.ts), set by the edge on accept. */
  flow?: FlowControl;

  constructor(
    readonly id: string,
    private socket: Wire,
    private readonly machine: C2sMachine,
    private ctx: C2sContext,
    private readonly svc: EdgeServices,
    private readonly log: Logger,
    private readonly stanzaPolicy: StanzaPolicy,
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
    if (secure && socket instanceof TLSSocket) {
      // tls-unique names the handshake that made the connection: no other may follow (RFC 5929 §3.1).
      socket.disableRenegotiation();
      this.ctx = withChannelBindings(ctx, socket);
    }
    this.parser = new XmlStreamParser(
      {
        onStreamStart: (name, attrs) => this.dispatch({ type: 'stream-open', name, attrs }),
        onStanza: (el) => {
          // XEP-0198 counts stanzas only, not nonzas like <r/> and <a/>.
          if ((this.sm || this.smPendingIn !== undefined) && stanzaKind(el.name) !== NOT_A_STANZA && (el.attrs.xmlns === undefined || el.attrs.xmlns === 'jabber:client')) {
            if (this.sm) this.sm.received();
            else this.smPendingIn = (this.smPendingIn ?? 0) + 1;
          }
          // The answer to our own ping is ours, not the router's.
          if (el.name === 'iq' && el.attrs.id !== undefined && el.attrs.id === this.answeredPing && el.attrs.type !== 'get' && el.attrs.type !== 'set') return;
          this.dispatch({ type: 'element', el });
        },
        onStreamEnd: () => this.dispatch({ type: 'stream-close' }),
        onError: (condition, text, limit) => {
          if (limit !== undefined) limitsHit.inc({ limit: limitLabel(limit, this.authenticated) });
          this.dispatch({ type: 'parse-error', condition: condition as StreamErrorCondition, text });
        },
      },
      preauthParserOptions(stanzaPolicy),
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

  get gone(): boolean {
    return this.ended;
  }

  get username(): string | undefined {
    return this.state.username;
  }

  get established(): boolean {
    return this.state.name === 'session_established' || this.state.name === 'wait_for_session';
  }

  dispatch(event: C2sEvent): void {
    if (event.type === 'stream-close') this.endReason = 'closed';
    else if (event.type === 'kick') this.endReason = `kick:${event.condition}`;
    else if (event.type === 'parse-error') this.endReason = 'error';
    const prev = this.state;
    const before = prev.name;
    const t = this.machine.transition(this.state, event, this.ctx);
    this.state = t.state;
    if (!this.authenticated && t.state.username !== undefined) {
      // Authenticated: the normal stanza limits from now on (stanza-limits.ts).
      this.authenticated = true;
      this.parser.setLimits(authenticatedLimits(this.stanzaPolicy));
    }
    countSaslLimit(prev, t.state);
    if (this.debug && before !== t.state.name) this.log.debug({ conn: this.id, from: before, to: t.state.name }, 'state');
    for (const a of t.actions) this.run(a);
  }

  /**
   * A stanza routed to this session, already serialized (kind UNSPECIFIED: a
   * server reply to this session); offlineSeq: a stored offline message,
   * deleted once written (no SM) or acknowledged (SM).
   */
  deliver(xml: Uint8Array, kind: StanzaKind = NOT_A_STANZA, offlineSeq?: number): void {
    // Stream-managed: only what came through the stream is counted; put it there first.
    if (this.sm) return this.svc.sm?.republish(this.id, this.sm.jid, xml, kind, offlineSeq);
    const data = Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
    // Not held back by CSI: it is a message, and it is reported once the socket has it.
    if (offlineSeq) return this.writeOffline(data, offlineSeq);
    if (!this.csi.inactive) return this.write(data); // the common case: no array per delivery
    for (const b of this.csi.offer(data, kind)) this.write(b);
  }

  private run(a: C2sAction): void {
    switch (a.type) {
      case 'send':
        if (typeof a.el === 'string') return this.write(a.el);
        if (this.sm?.started && stanzaKind(a.el.name) !== NOT_A_STANZA) return this.sendStanza(a.el.toString(), stanzaKind(a.el.name));
        return this.write(a.el.toString());
      case 'close':
        return this.close();
      case 'restart':
        return this.parser.reset();
      case 'starttls':
        return this.startTls();
      case 'csi':
        if (!a.active) this.csi.inactive = true;
        else for (const b of this.csi.activate()) {
          if (this.sm) this.sm.release(b);
          else this.write(b);
        }
        return;
      case 'sm-enable':
        return this.enableSm(a.resume, a.max);
      case 'sm-request':
        return this.sm?.answerRequest();
      case 'sm-ack':
        if (this.sm && !this.sm.acknowledge(a.h)) this.handledCountTooHigh(a.h, this.sm.outbox.sent);
        return;
      case 'sm-resume':
        return this.resumeSm(a.previd, a.h);
      case 'sasl-start': {
        const wait = this.limits?.authBlockedFor(this.remote) ?? 0;
        if (wait > 0) {
          limitsHit.inc({ limit: 'auth-failures-per-ip' });
          return this.dispatch({ type: 'sasl-result', result: { kind: 'failure', condition: 'temporary-auth-failure', text: `too many failed attempts from your address; try again in ${Math.ceil(wait / 1000)} s` } });
        }
        this.exchange = this.svc.sasl.start(
          {
            mechanism: a.mechanism, initialResponse: a.initial ?? undefined, domain: this.ctx.domain, secure: this.state.secure, clientAddress: this.remote,
            channelBindings: this.socket instanceof TLSSocket ? channelBindings(this.socket) : [],
          },
          (result) => {
            // Only failed password proofs count per address, and a user who then succeeds takes back his own.
            if (result.kind === 'failure' && result.reason === 'credentials') this.limits?.authFailed(this.remote, result.username ?? '');
            else if (result.kind === 'success') this.limits?.authSucceeded(this.remote, result.username);
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
        this.svc.account(a.op, a.username, a.password, this.id).then((r) => this.dispatch({ type: 'account-result', iq: a.iq, op: a.op, ...r }));
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
    // Counted in <a h/> only once a router confirms it (sm-session.ts).
    this.sm?.routed();
    const envelope = { from: this.state.jid as string, connectionId: this.id, xml: Buffer.from(xml, 'utf8'), smIn: this.sm?.inCount, traceparent: span && spanTraceparent(span) };
    this.svc.route(this.id, routedStanza(el, envelope), span);
  }

  /** NATS is down: an error of type wait instead of routing into the void (outage.ts). */
  private refuseInOutage(el: Element): void {
    const reply = outageReply(el, this.state.jid as string);
    if (!reply) return;
    const send = () => this.sendStanza(reply.toString(), stanzaKind(reply.name));
    // Stream-managed: what we send goes through JetStream to be counted, so it waits until NATS is back.
    const back = this.sm?.started ? this.svc.busBack?.() : undefined;
    if (back) void back.then(send);
    else send();
  }

  /** A stanza we generate (a ping, an error): with stream management it goes through the stream to be counted. */
  private sendStanza(xml: string, kind: StanzaKind): void {
    if (this.sm?.started) this.svc.sm?.republish(this.id, this.sm.jid, Buffer.from(xml, 'utf8'), kind);
    else this.write(xml);
  }

  /** XEP-0198 §3: counting starts now for what the client sends, at <enabled/> for what we send. */
  private enableSm(resume: boolean, max?: number): void {
    const manager = this.svc.sm;
    if (!manager) return this.write(smFailed('feature-not-implemented').toString());
    this.smPendingIn = 0;
    manager.enable(this, resume, max, () => this.smPendingIn ?? 0).then(
      (sm) => {
        this.smPendingIn = undefined;
        if (!sm) {
          this.dispatch({ type: 'sm-enable-failed' });
          this.write(smFailed('internal-server-error').toString());
        }
      },
    );
  }

  /** XEP-0198 §5: take over a session from its state in JetStream, wherever it was. */
  private resumeSm(previd: string, h: number): void {
    const manager = this.svc.sm;
    if (!manager) return this.write(smFailed('feature-not-implemented').toString());
    manager.resume(this, previd, h).then(
      (r) => {
        if (this.ended) return void (r.ok && manager.detach(this));
        if (!r.ok) {
          const tooHigh = r.tooHigh && x('handled-count-too-high', { xmlns: NS_SM, h: String(h), 'send-count': String(r.tooHigh.sendCount % 2 ** 32) });
          return this.write(smFailed(r.condition, r.h === undefined ? undefined : r.h % 2 ** 32, tooHigh || undefined).toString());
        }
        this.dispatch({ type: 'sm-resumed', jid: r.jid });
        this.svc.resumed(this);
        this.write(`<resumed xmlns='urn:xmpp:sm:3' previd='${previd}' h='${r.inHandled % 2 ** 32}'/>`);
        r.sm.started = true;
        r.sm.releaseHold(r.resend);
      },
      (err: Error) => {
        this.log.warn({ conn: this.id, err: err.message }, 'resumption failed');
        this.write(smFailed('internal-server-error').toString());
      },
    );
  }

  /** XEP-0198 §4: the client acknowledged more than we sent; the stream ends with undefined-condition. */
  private handledCountTooHigh(h: number, sent: number): void {
    this.write(`<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><handled-count-too-high xmlns='urn:xmpp:sm:3' h='${h}' send-count='${sent % 2 ** 32}'/></stream:error>`);
    this.dispatch({ type: 'stream-close' });
  }

  /** Kick.resumed: the session now lives on another connection. */
  handOver(): void {
    this.handedOver = true;
    this.svc.sm?.forget(this);
    this.kick('conflict', 'the session was resumed on another connection');
  }

  write(data: string | Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (this.debug) this.log.debug({ conn: this.id, xml: this.redact(data.toString()) }, 'send');
    this.out.push(data);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  /** A stored offline message (no SM): written like any stanza, reported to a router once the socket took it. */
  private writeOffline(data: Buffer, seq: number): void {
    if (this.socket.destroyed || this.socket.writableEnded || !this.jid) return; // it stays stored
    this.write(data);
    (this.outOffline ??= []).push(seq);
  }

  private flush(): void {
    this.flushing = false;
    const offline = this.outOffline;
    this.outOffline = undefined;
    if (this.out.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    const chunks = this.out;
    this.out = [];
    // The last write's callback runs after every earlier one (writes complete in order).
    const done = offline && this.offlineWritten(offline);
    if (chunks.length === 1 || this.socket.framed) chunks.forEach((c, i) => this.socket.write(c, i === chunks.length - 1 ? done : undefined));
    else this.socket.write(Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))), done);
    if (this.flow?.overflow(this.socket)) {
      limitsHit.inc({ limit: 'send-buffer' });
      this.kick('resource-constraint', 'too much output left unread');
    }
  }

  /** The write callback that reports stored offline messages handled when the socket took them. */
  private offlineWritten(seqs: number[]): (err?: Error | null) => void {
    const bare = bareOf(this.jid as string);
    return (err) => {
      if (!err) this.svc.offlineHandled?.(bare, seqs);
    };
  }

  /** Close our stream and the socket; the peer gets a moment to close its side. */
  close(): void {
    if (this.socket.writableEnded) return;
    this.write('</stream:stream>');
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** resumable false: a stream-managed session ends rather than waiting to be resumed. */
  kick(condition: StreamErrorCondition, text?: string, o?: { resumable: boolean }): void {
    if (o?.resumable === false) this.final = true;
    this.dispatch({ type: 'kick', condition, text });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.authTimer);
    this.flow?.stop();
    this.parser.end();
    if (this.exchange) this.svc.sasl.abort(this.exchange);
    const sm = this.sm;
    const manager = this.svc.sm;
    if (!sm || !manager) this.svc.ended(this, this.state.jid);
    else if (this.handedOver) this.svc.ended(this, undefined);
    else if (sm.maxResumeS > 0 && !this.final && DETACHING.has(this.endReason)) {
      // Kept for a resumption; its edge keeps nothing the stream and the bucket do not have.
      this.svc.ended(this, undefined);
      manager.track(manager.detach(this));
    } else {
      const jid = this.state.jid;
      this.svc.ended(this, undefined);
      manager.track(manager.finish(this).then(() => jid && this.svc.unbind(this.id, jid)));
    }
    if (!this.socket.writableEnded) this.close();
  }

  private redact(s: string): string {
    return this.trace ? s : s.replace(SASL_PAYLOAD, '$1[redacted]').replace(PASSWORD, '$1[redacted]');
  }
}
