// XEP-0198 on this edge: enabling, resumption (from this edge or any other,
// alive or dead), detaching, and the edge's reader of its subject in the
// stream xmpp_sm. State that must outlive this process is in JetStream
// (@cx/sm): the deliveries in the stream, the counters in the KV bucket.
import { randomBytes } from 'node:crypto';
import { Counter } from 'prom-client';
import type { Logger } from '@cx/log';
import { endOf, followEdge, newlyAcked, position, readAfter, seqOf, unackedFilter, type SmMessage, type SmStore, type Unacked } from '@cx/sm';
import type { edgev1 } from '@cx/proto';
import type { StanzaKind } from '@cx/stanza';
import type { SessionLink } from '../session-link';
import { SmSession, type SmPort } from './sm-session';
import type { CsiBuffer } from '../csi-buffer';
import { bareOf } from '../offline-reports';

const smEvents = new Counter({ name: 'xmpp_edge_sm_total', help: 'Stream management (XEP-0198) events', labelNames: ['event'] });
const SAVE_INTERVAL_MS = 200;
const PURGE_INTERVAL_MS = 5000;
/** How long the deliveries of a session that ended or moved away stay readable (the router's rescue, a resumer's tail). */
const AFTER_END_MS = 60_000;

export interface SmConnection extends SmPort {
  readonly username?: string;
  readonly jid?: string;
  readonly csi: CsiBuffer;
  /** The connection has ended. */
  readonly gone: boolean;
  /** Set here, in the same turn the counting starts. */
  sm?: SmSession;
  /** resumable false: the session ends (not kept for a resumption). */
  kick(condition: 'resource-constraint', text: string, o: { resumable: boolean }): void;
}

export type ResumeOutcome =
  | { ok: true; jid: string; sm: SmSession; inHandled: number; resend: Unacked[] }
  | { ok: false; condition: string; h?: number; tooHigh?: { sendCount: number } };

export interface SmOptions {
  edgeId: string;
  resumeTimeoutS: number;
  /** How long a resumption keeps reading the old place for stragglers. */
  handoverGraceMs: number;
  /** Bytes of unacknowledged stanzas one session may have (SM_MAX_UNACKED_BYTES). */
  maxUnackedBytes?: number;
}

export class StreamManager {
  private readonly sessions = new Map<string, { conn: SmConnection; sm: SmSession }>();
  private lastSeq = 0;
  private republishing: edgev1.Delivery[] = [];
  private readonly saving = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopReader?: () => Promise<void>;
  private readonly pending = new Set<Promise<unknown>>();
  /** Sessions no longer live here whose deliveries may still be read: the lowest sequence each needs, until when. */
  private readonly pins = new Map<string, { seq: number; untilMs: number }>();
  private purged = 0;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: SmStore,
    private readonly session: SessionLink,
    private readonly o: SmOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.lastSeq = await this.store.lastSeq(this.o.edgeId);
    this.stopReader = await followEdge(this.store, this.o.edgeId, this.lastSeq, (m) => this.onStream(m));
    this.timer = setInterval(() => this.saveDirty(), SAVE_INTERVAL_MS);
    this.timer.unref();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  private onStream({ seq, msg }: SmMessage): void {
    this.lastSeq = seq;
    for (let i = 0; i < msg.deliveries.length; i++) {
      const d = msg.deliveries[i];
      const s = this.sessions.get(d.connectionId);
      if (s && s.sm.jid === d.to) {
        s.sm.deliver({ pos: position(seq, i), to: d.to, xml: d.xml, kind: d.kind, offlineSeq: d.offlineSeq });
        if (s.sm.overflowing) this.overflow(s.conn); // at once: a flood must not wait for the next tick
      } else this.unmanaged?.(d);
    }
    for (const a of msg.inAcks) this.sessions.get(a.connectionId)?.sm.confirm(a.h);
  }

  /** Ends a session in the registry (unbind), set by the edge. */
  endSession?: (connectionId: string, fullJid: string) => void;

  /** Deliveries on the stream for connections without stream management yet (enable in progress). */
  unmanaged?: (d: edgev1.Delivery) => void;

  /** Stored offline messages a client acknowledged (set by the edge: reported to a router, which deletes them). */
  offlineHandled?: (bareJid: string, seqs: readonly number[]) => void;

  /** A stanza for a stream-managed connection that did not come through the stream: put it there first. */
  republish(connectionId: string, to: string, xml: Uint8Array, kind: StanzaKind, offlineSeq?: number): void {
    if (this.republishing.length === 0) setImmediate(() => this.flushRepublish());
    this.republishing.push({ connectionId, to, xml: xml as Buffer, kind, traceparent: '', offlineSeq });
  }

  /** The session reports what its client acknowledged of the stored offline messages. */
  private reporting(sm: SmSession): SmSession {
    const bare = bareOf(sm.jid);
    sm.onOfflineAcked = (seqs) => this.offlineHandled?.(bare, seqs);
    return sm;
  }

  private flushRepublish(): void {
    const deliveries = this.republishing;
    this.republishing = [];
    if (deliveries.length) this.store.publish(this.o.edgeId, { deliveries });
  }

  /**
   * <enable/>: mark the session in the registry (routers then deliver through
   * the stream), save its state, then write <enabled/> and start counting in
   * the same turn, so every delivery after the sequence read here is counted.
   * The state is saved before <enabled/> (one KV put): from the moment the
   * client may rely on the session, a resumption on any edge finds it and,
   * if this edge dies, the rescue finds its unacknowledged stanzas.
   * Deliveries arriving during the save wait (holding), uncounted.
   */
  async enable(conn: SmConnection, resume: boolean, max: number | undefined, inCount: () => number): Promise<SmSession | undefined> {
    const jid = conn.jid as string;
    const smId = randomBytes(16).toString('base64url');
    const ok = await this.session.enableSm({ fullJid: jid, connectionId: conn.id, smId }).catch(() => false);
    if (!ok || conn.gone) return undefined;
    const maxS = Math.min(max || this.o.resumeTimeoutS, this.o.resumeTimeoutS);
    const sm = this.reporting(
      new SmSession({
        id: smId,
        jid,
        port: conn,
        csi: conn.csi,
        maxResumeS: resume ? maxS : 0,
        start: { sent: 0, ackedPos: endOf(this.lastSeq), inCount: inCount() },
        maxUnackedBytes: this.o.maxUnackedBytes,
      }),
    );
    sm.holding = true;
    this.sessions.set(conn.id, { conn, sm });
    conn.sm = sm;
    // A change during the put marks it dirty again; a failed put too: the next save round writes it (the old behaviour).
    sm.dirty = false;
    await this.store.saveState(smId, sm.state(this.o.edgeId, conn.id)).catch((err: Error) => {
      sm.dirty = true;
      this.log.warn({ err: err.message, jid }, 'saving stream management state at enable failed');
    });
    conn.write(resume ? `<enabled xmlns='urn:xmpp:sm:3' id='${smId}' resume='true' max='${maxS}'/>` : `<enabled xmlns='urn:xmpp:sm:3'/>`);
    sm.started = true;
    sm.releaseHold([]);
    smEvents.inc({ event: 'enabled' });
    return sm;
  }

  /**
   * <resume/>: find the session's state, move the session to this connection
   * in the registry, read what the client never acknowledged from the old
   * place in the stream, and hand it over with the count of what we handled.
   */
  async resume(conn: SmConnection, previd: string, h: number): Promise<ResumeOutcome> {
    const state = await this.store.state(previd);
    const user = state?.fullJid.slice(0, state.fullJid.indexOf('@'));
    if (!state || user !== conn.username) return this.failed('item-not-found');
    const sm = this.reporting(
      new SmSession({
        id: previd,
        jid: state.fullJid,
        port: conn,
        csi: conn.csi,
        maxResumeS: this.o.resumeTimeoutS,
        start: { sent: 0, ackedPos: endOf(this.lastSeq), inCount: state.inHandled },
        maxUnackedBytes: this.o.maxUnackedBytes,
      }),
    );
    sm.holding = true;
    this.sessions.set(conn.id, { conn, sm });
    conn.sm = sm;
    // No answer from the session service is not "no such session": the state stays, the client may resume later.
    const moved = await this.session
      .resume({ smId: previd, fullJid: state.fullJid, edgeId: this.o.edgeId, connectionId: conn.id })
      .catch(() => 'unavailable' as const);
    if (moved === 'unavailable' || moved.result?.$case !== 'previous') {
      this.sessions.delete(conn.id);
      conn.sm = undefined;
      return this.failed(moved === 'unavailable' ? 'internal-server-error' : 'item-not-found');
    }
    const unacked = unackedFilter(state);
    const backlog: Unacked[] = state.carried.map((c) => ({ pos: 0, to: c.to, xml: c.xml, kind: c.kind, offlineSeq: c.offlineSeq }));
    let inHandled = state.inHandled;
    let caughtUp = false;
    await this.store.read(
      state.edgeId,
      readAfter(state),
      ({ seq, msg }) => {
        for (let i = 0; i < msg.deliveries.length; i++) {
          const d = msg.deliveries[i];
          if (!unacked(seq, i, d)) continue;
          // After the backlog: a router that still had the old place published there; bring it here.
          if (caughtUp) this.republish(conn.id, state.fullJid, d.xml, d.kind, d.offlineSeq);
          else backlog.push({ pos: 0, to: d.to, xml: d.xml, kind: d.kind, offlineSeq: d.offlineSeq });
        }
        if (!caughtUp) for (const a of msg.inAcks) if (a.connectionId === state.connectionId && a.h > inHandled) inHandled = a.h;
      },
      this.o.handoverGraceMs,
    );
    caughtUp = true;
    const sendCount = state.outAcked + backlog.length;
    const delta = newlyAcked(h, state.outAcked, sendCount);
    if (delta === undefined) {
      // §4: an h above what was sent. The session cannot be trusted; it ends (its unacknowledged stanzas go the RFC 6121 way).
      this.sessions.delete(conn.id);
      conn.sm = undefined;
      this.endSession?.(conn.id, state.fullJid);
      smEvents.inc({ event: 'resume-failed' });
      return { ok: false, condition: 'undefined-condition', h: inHandled, tooHigh: { sendCount } };
    }
    const acked = state.outAcked + delta;
    // The h of <resume/> acknowledges the first `delta` of the backlog.
    const offline = backlog.slice(0, delta).flatMap((u) => (u.offlineSeq ? [u.offlineSeq] : []));
    if (offline.length) this.offlineHandled?.(bareOf(state.fullJid), offline);
    sm.outbox.sent = acked;
    sm.outbox.acked = acked;
    sm.inCount = inHandled;
    sm.inHandled = inHandled;
    smEvents.inc({ event: 'resumed' });
    return { ok: true, jid: state.fullJid, sm, inHandled, resend: backlog.slice(delta) };
  }

  private failed(condition: string): ResumeOutcome {
    smEvents.inc({ event: 'resume-failed' });
    return { ok: false, condition };
  }

  /** The connection is gone but the session may be resumed: save the state, tell the registry until when. */
  async detach(conn: SmConnection): Promise<void> {
    const s = this.sessions.get(conn.id);
    if (!s) return;
    this.sessions.delete(conn.id);
    this.pin(s.sm, s.sm.maxResumeS * 1000 + AFTER_END_MS);
    await this.save(conn.id, s.sm);
    const untilMs = Date.now() + s.sm.maxResumeS * 1000;
    await this.session
      .detach({ fullJid: s.sm.jid, connectionId: conn.id, untilMs })
      .catch((err: Error) => this.log.warn({ err: err.message, jid: s.sm.jid }, 'detach failed'));
    smEvents.inc({ event: 'detached' });
  }

  /** The session ends (or moved elsewhere): save the final state so its unacknowledged stanzas can be routed again. */
  async finish(conn: SmConnection): Promise<void> {
    const s = this.sessions.get(conn.id);
    if (!s) return;
    this.sessions.delete(conn.id);
    this.pin(s.sm, AFTER_END_MS);
    await this.save(conn.id, s.sm);
  }

  /** Drop a connection that was resumed elsewhere: the new holder owns the state now. */
  forget(conn: SmConnection): void {
    const s = this.sessions.get(conn.id);
    if (s) this.pin(s.sm, this.o.handoverGraceMs + AFTER_END_MS);
    this.sessions.delete(conn.id);
  }

  /**
   * Called about once a second: ack requests, and the end of clients that
   * never acknowledge. Over its bound (count or bytes) the session ends, as
   * Prosody's mod_smacks does: a resumption would only bring the queue back;
   * its unacknowledged stanzas go the RFC 6121 way (routed again or stored offline).
   */
  tick(): void {
    for (const { conn, sm } of this.sessions.values()) {
      sm.tick();
      if (sm.overflowing) this.overflow(conn);
    }
  }

  private overflow(conn: SmConnection): void {
    if (conn.gone) return;
    smEvents.inc({ event: 'overflow' });
    conn.kick('resource-constraint', 'too many unacknowledged stanzas', { resumable: false });
  }

  /** Work that must finish before the process exits (detach, final saves). */
  track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private saveDirty(): void {
    for (const [id, s] of this.sessions) {
      if (s.sm.dirty && !this.saving.has(id)) void this.save(id, s.sm);
    }
  }

  private save(connectionId: string, sm: SmSession): Promise<void> {
    // Mid-resumption the counters are not set yet: the previous holder's saved state stays the truth.
    if (sm.holding) return Promise.resolve();
    const before = this.saving.get(connectionId) ?? Promise.resolve();
    sm.dirty = false;
    const state = sm.state(this.o.edgeId, connectionId);
    const p = before
      .then(() => this.store.saveState(sm.id, state))
      .catch((err: Error) => {
        sm.dirty = true;
        this.log.warn({ err: err.message, jid: sm.jid }, 'saving stream management state failed');
      })
      .finally(() => {
        if (this.saving.get(connectionId) === p) this.saving.delete(connectionId);
      });
    this.saving.set(connectionId, p);
    return p;
  }

  /** Keep what a session that left this edge may still need, for a while. */
  private pin(sm: SmSession, forMs: number): void {
    this.pins.set(sm.id, { seq: Math.min(seqOf(sm.outbox.ackedPos), sm.firstNeededSeq(Infinity)), untilMs: Date.now() + forMs });
  }

  /**
   * The stream keeps this edge's deliveries only while a session may need
   * them: below the first unacknowledged delivery of every live session and
   * of every session that left recently, they go. (An edge that died leaves
   * its subject to the stream's max age.)
   */
  private async purge(): Promise<void> {
    const now = Date.now();
    let below = this.lastSeq + 1;
    for (const { sm } of this.sessions.values()) below = Math.min(below, sm.firstNeededSeq(this.lastSeq + 1));
    for (const [id, p] of this.pins) {
      if (p.untilMs < now) this.pins.delete(id);
      else below = Math.min(below, p.seq);
    }
    if (below <= this.purged + 1) return;
    await this.store.purgeBelow(this.o.edgeId, below).then(
      () => void (this.purged = below - 1),
      (err: Error) => this.log.warn({ err: err.message }, 'purging the stream management stream failed'),
    );
  }

  /** Shutdown: every save and detach settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    this.flushRepublish();
    // Republished stanzas are stored before we go (bounded: during a NATS outage they are lost with the process anyway).
    await Promise.race([this.store.durable(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([...this.saving.values()]);
    await this.stopReader?.();
  }
}
