// The XEP-0198 side of one connection, as the connection's interpreter of
// the c2s machine sees it: counting what the client sends (§4, from
// <enable/> on), the sm-* actions (enable, resume, <a/>, <r/>), stanzas we
// generate or that did not come through the stream going through it to be
// counted, and what becomes of the session when the stream ends (kept for a
// resumption, or finished). The session's counters and queue are SmSession's;
// enabling and resuming across edges are the StreamManager's.
import { NS_SM, smFailed, type C2sEvent } from '@cx/c2s';
import type { Logger } from '@cx/log';
import type { StanzaKind } from '@cx/stanza';
import { x } from '@cx/xmpp-core';
import type { SmSession } from './sm-session';
import type { SmConnection, StreamManager } from './stream-manager';

/** Ways a stream can end after which a stream-managed session waits to be resumed (XEP-0198 §5). */
const DETACHING = new Set(['lost', 'kick:connection-timeout', 'kick:system-shutdown', 'kick:see-other-host', 'kick:resource-constraint']);

/** The connection, as the stream manager and this glue use it. */
export interface SmHost extends SmConnection {
  dispatch(event: C2sEvent): void;
}

export interface ConnectionSmOptions {
  host: SmHost;
  /** Undefined when stream management is not offered. */
  manager?: StreamManager;
  log: Logger;
  /** The session now lives on this connection (XEP-0198 §5). */
  resumed(): void;
  /** The connection is gone: jid is the session to unbind now (undefined: kept, moved, or ended after its state is saved). */
  ended(jid: string | undefined): void;
  unbind(jid: string): void;
}

export class ConnectionSm {
  /** Stanzas received since <enable/>, until the SM session exists. */
  private pendingIn?: number;
  /** The session was resumed on another connection: this one ends without ending it. */
  private handedOver = false;
  /** Kicked in a way that ends the session instead of keeping it for a resumption. */
  final = false;

  constructor(private readonly o: ConnectionSmOptions) {}

  private get sm(): SmSession | undefined {
    return this.o.host.sm;
  }

  /** Outbound counting has started: what we send goes through the stream. */
  get started(): boolean {
    return this.sm?.started === true;
  }

  /** A stanza from the client (not a nonza like <r/> and <a/>). */
  received(): void {
    if (this.sm) this.sm.received();
    else if (this.pendingIn !== undefined) this.pendingIn++;
  }

  /** Counted in <a h/> only once a router confirms it (sm-session.ts); the count to send with it. */
  routed(): number {
    const sm = this.sm;
    if (!sm) return 0;
    sm.routed();
    return sm.inCount;
  }

  /** A stanza for a stream-managed session that did not come through the stream: put it there first. False: not managed. */
  deliver(xml: Uint8Array, kind: StanzaKind, offlineSeq?: number): boolean {
    const sm = this.sm;
    if (!sm) return false;
    this.o.manager?.republish(this.o.host.id, sm.jid, xml, kind, offlineSeq);
    return true;
  }

  /** A stanza we generate (a ping, an error): through the stream once counting started. False: write it directly. */
  send(xml: string, kind: StanzaKind): boolean {
    const sm = this.sm;
    if (!sm?.started) return false;
    this.o.manager?.republish(this.o.host.id, sm.jid, Buffer.from(xml, 'utf8'), kind);
    return true;
  }

  /** What CSI held, now written (counted by the session when it has one). */
  release(b: Buffer): void {
    if (this.sm) this.sm.release(b);
    else this.o.host.write(b);
  }

  request(): void {
    this.sm?.answerRequest();
  }

  ack(h: number): void {
    const sm = this.sm;
    if (sm && !sm.acknowledge(h)) this.handledCountTooHigh(h, sm.outbox.sent);
  }

  /** §3: counting starts now for what the client sends, at <enabled/> for what we send. */
  enable(resume: boolean, max?: number): void {
    const { manager, host } = this.o;
    if (!manager) return host.write(smFailed('feature-not-implemented').toString());
    this.pendingIn = 0;
    void manager
      .enable(host, resume, max, () => this.pendingIn ?? 0)
      .then((sm) => {
        this.pendingIn = undefined;
        if (sm) return;
        host.dispatch({ type: 'sm-enable-failed' });
        host.write(smFailed('internal-server-error').toString());
      });
  }

  /** §5: take over a session from its state in JetStream, wherever it was. */
  resume(previd: string, h: number): void {
    const { manager, host } = this.o;
    if (!manager) return host.write(smFailed('feature-not-implemented').toString());
    manager.resume(host, previd, h).then(
      (r) => {
        if (host.gone) return void (r.ok && manager.detach(host));
        if (!r.ok) {
          const tooHigh = r.tooHigh && x('handled-count-too-high', { xmlns: NS_SM, h: String(h), 'send-count': String(r.tooHigh.sendCount % 2 ** 32) });
          return host.write(smFailed(r.condition, r.h === undefined ? undefined : r.h % 2 ** 32, tooHigh || undefined).toString());
        }
        host.dispatch({ type: 'sm-resumed', jid: r.jid });
        this.o.resumed();
        host.write(`<resumed xmlns='urn:xmpp:sm:3' previd='${previd}' h='${r.inHandled % 2 ** 32}'/>`);
        r.sm.started = true;
        r.sm.releaseHold(r.resend);
      },
      (err: Error) => {
        this.o.log.warn({ conn: host.id, err: err.message }, 'resumption failed');
        host.write(smFailed('internal-server-error').toString());
      },
    );
  }

  /** §4: the client acknowledged more than we sent; the stream ends with undefined-condition. */
  private handledCountTooHigh(h: number, sent: number): void {
    this.o.host.write(
      `<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><handled-count-too-high xmlns='urn:xmpp:sm:3' h='${h}' send-count='${sent % 2 ** 32}'/></stream:error>`,
    );
    this.o.host.dispatch({ type: 'stream-close' });
  }

  /** Kick.resumed: the session now lives on another connection. */
  handOver(): void {
    this.handedOver = true;
    this.o.manager?.forget(this.o.host);
  }

  /** The stream ended ('closed' by the client, 'lost', 'error', 'kick:<condition>'): keep, move or end the session. */
  end(reason: string, jid: string | undefined): void {
    const { manager, host } = this.o;
    const sm = this.sm;
    if (!sm || !manager) return this.o.ended(jid);
    if (this.handedOver) return this.o.ended(undefined);
    this.o.ended(undefined);
    // Kept for a resumption; its edge keeps nothing the stream and the bucket do not have.
    if (sm.maxResumeS > 0 && !this.final && DETACHING.has(reason)) return manager.track(manager.detach(host));
    manager.track(manager.finish(host).then(() => jid && this.o.unbind(jid)));
  }
}
