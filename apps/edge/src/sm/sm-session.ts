// The stream-management side of one connection (XEP-0198): what the client
// sent (the server's h), what we sent and it has not acknowledged (Outbox),
// and the stanzas held while a resumption reads the backlog. Stanzas are
// counted when they are written; with CSI (XEP-0352) a superseded presence
// that is never written is remembered as skipped, so a resumption elsewhere
// counts exactly what the client could have received.
import { Outbox, seqOf, wrapped, type Unacked } from '@cx/sm';
import type { sessionv1 } from '@cx/proto';
import type { CsiBuffer } from '../csi-buffer';

const NS_SM = 'urn:xmpp:sm:3';
/** Ask for an acknowledgement after this many unrequested stanzas. */
const REQUEST_EVERY = 10;
/** The most unacknowledged stanzas kept; beyond it the client is not reading (or not acking). */
export const MAX_UNACKED = 10_000;
/** How long an <r/> waits for the router to confirm what it counts. */
export const CONFIRM_WAIT_MS = 5000;

export interface SmPort {
  readonly id: string;
  write(data: Buffer | string): void;
}

export interface SmSessionOptions {
  /** The sm id (XEP-0198 §5 previd). */
  id: string;
  jid: string;
  port: SmPort;
  csi: CsiBuffer;
  /** Seconds the session may wait to be resumed (0: not resumable). */
  maxResumeS: number;
  /** Counters to start from: stanzas sent, the stream position acknowledged, stanzas received. */
  start: { sent: number; ackedPos: number; inCount: number };
  /** Bytes of unacknowledged stanzas allowed (SM_MAX_UNACKED_BYTES; default: no bound). */
  maxUnackedBytes?: number;
}

export class SmSession {
  readonly id: string;
  readonly jid: string;
  /** Seconds the session may wait to be resumed. */
  readonly maxResumeS: number;
  private readonly port: SmPort;
  private readonly csi: CsiBuffer;
  private readonly maxUnackedBytes: number;
  readonly outbox: Outbox;
  /** Stanzas received from the client since enable (unwrapped). */
  inCount: number;
  /** The highest count a router has confirmed handling (RouteAck, or an in-ack from the stream). */
  inHandled: number;
  /** The count of the last stanza sent to the router; the ones after it up to inCount were answered here. */
  inRouted = 0;
  /** <r/>s waiting for the router's confirmation: the count to answer and what must be confirmed first. */
  private readonly requests: Array<{ h: number; routed: number; atMs: number }> = [];
  /** The last h answered: answers never go back. */
  private answered = 0;
  /** Until the backlog of a resumption is sent, new deliveries wait here. */
  holding = false;
  private held: Array<Unacked & { xml: Buffer }> = [];
  private requestedAt: number;
  private readonly pendingCsi = new Map<Buffer, Unacked>();
  private readonly skipped = new Set<number>();
  /** Counters or the queue changed since the state was last saved. */
  dirty = true;
  /** Outbound counting has started (<enabled/> or <resumed/> was written). */
  started = false;
  /** The client acknowledged these stored offline messages (they may leave xmpp_offline). */
  onOfflineAcked?: (seqs: number[]) => void;

  constructor(o: SmSessionOptions) {
    ({ id: this.id, jid: this.jid, port: this.port, csi: this.csi, maxResumeS: this.maxResumeS } = o);
    this.maxUnackedBytes = o.maxUnackedBytes ?? Infinity;
    const { start, csi } = o;
    this.outbox = new Outbox({ sent: start.sent, acked: start.sent, ackedPos: start.ackedPos });
    this.inCount = start.inCount;
    this.inHandled = start.inCount;
    this.requestedAt = start.sent;
    csi.onDrop = (data) => {
      const u = this.pendingCsi.get(data);
      if (!u) return;
      this.pendingCsi.delete(data);
      if (u.pos > 0) this.skipped.add(u.pos);
      this.dirty = true;
    };
  }

  /** A stanza from the client; returns its number (the router acknowledges it). */
  received(): number {
    return ++this.inCount;
  }

  /** A stanza going to the router (its count is inCount). */
  routed(): void {
    this.inRouted = this.inCount;
  }

  /**
   * What the server has handled: everything, once the router confirmed the
   * last stanza routed (the ones after it were answered by the edge itself);
   * else what the router confirmed.
   */
  get handled(): number {
    return this.inHandled >= this.inRouted ? this.inCount : this.inHandled;
  }

  /**
   * <r/>: answer with what we have handled. A promise (the client drops its
   * copies): stanzas still on their way through a router are not counted, so
   * the answer waits for the router's confirmation, at most CONFIRM_WAIT_MS;
   * then it counts what is confirmed and the client keeps the rest.
   */
  answerRequest(): void {
    if (this.requests.length === 0 && this.inHandled >= this.inRouted) return this.answer(this.inCount);
    this.requests.push({ h: this.inCount, routed: this.inRouted, atMs: Date.now() });
  }

  /** A router handled this client's stanzas up to h. */
  confirm(h: number): void {
    if (h > this.inHandled) {
      this.inHandled = h;
      this.dirty = true;
    }
    while (this.requests.length && this.requests[0].routed <= this.inHandled) this.answer(this.requests.shift()!.h);
  }

  private answer(h: number): void {
    if (h > this.answered) this.answered = h;
    this.port.write(`<a xmlns='${NS_SM}' h='${wrapped(this.answered)}'/>`);
  }

  /** <r/>s unconfirmed for too long: answered with what is confirmed. */
  private answerLate(now: number): void {
    while (this.requests.length && now - this.requests[0].atMs >= CONFIRM_WAIT_MS) {
      this.requests.shift();
      this.answer(this.inHandled);
    }
  }

  /** <a h/>: drop what the client has; false when h claims more than was sent. */
  acknowledge(h: number): boolean {
    const r = this.outbox.ack(h);
    if (!r.ok) return false;
    if (r.offline.length) this.onOfflineAcked?.(r.offline);
    if (r.removed > 0) {
      this.dirty = true;
      if (this.skipped.size) for (const s of this.skipped) if (s <= this.outbox.ackedPos) this.skipped.delete(s);
    }
    return true;
  }

  /** A delivery from the stream (pos > 0) or carried over from another edge (pos 0). */
  deliver(u: Unacked): void {
    // A copy: the delivery is a slice of the router's whole batch, which must not stay in memory until the ack.
    const own = { pos: u.pos, to: u.to, xml: Buffer.from(u.xml), kind: u.kind, offlineSeq: u.offlineSeq };
    if (this.holding) this.held.push(own);
    else this.send(own);
  }

  /** Through CSI when the client is inactive, else written and counted at once. */
  private send(u: Unacked & { xml: Buffer }): void {
    if (!this.csi.inactive) return this.emit(u.xml, u);
    this.pendingCsi.set(u.xml, u);
    for (const b of this.csi.offer(u.xml, u.kind)) this.release(b);
  }

  /** Written after CSI held it (or at <active/>). */
  release(b: Buffer): void {
    const u = this.pendingCsi.get(b);
    if (!u) return this.port.write(b);
    this.pendingCsi.delete(b);
    this.emit(b, u);
  }

  private emit(data: Buffer, u: Unacked): void {
    this.outbox.push(u);
    this.port.write(data);
    if (this.outbox.sent - this.requestedAt >= REQUEST_EVERY) this.request();
  }

  /** Called about once a second: ask for an acknowledgement of anything unrequested. */
  tick(): void {
    if (this.requests.length) this.answerLate(Date.now());
    if (this.started && this.outbox.size > 0 && this.outbox.sent > this.requestedAt) this.request();
  }

  private request(): void {
    this.requestedAt = this.outbox.sent;
    this.port.write(`<r xmlns='${NS_SM}'/>`);
  }

  /** End the hold of a resumption: the backlog first, then what arrived meanwhile. */
  releaseHold(backlog: Unacked[]): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const u of backlog) this.deliver(u);
    for (const u of held) this.send(u);
  }

  /** The lowest stream sequence this session may still need (below it the edge may purge); `next` if none. */
  firstNeededSeq(next: number): number {
    let pos = this.outbox.firstPos() ?? Infinity;
    for (const u of this.pendingCsi.values()) if (u.pos > 0 && u.pos < pos) pos = u.pos;
    for (const u of this.held) if (u.pos > 0 && u.pos < pos) pos = u.pos;
    return pos === Infinity ? next : seqOf(pos);
  }

  get overflowing(): boolean {
    return this.outbox.size > MAX_UNACKED || this.outbox.bytes > this.maxUnackedBytes;
  }

  /** What another edge needs to resume this session, or to route its unacknowledged stanzas again. */
  state(edgeId: string, connectionId: string): sessionv1.SmState {
    const carried = this.outbox.carried().map((u) => ({ to: u.to, xml: Buffer.from(u.xml), kind: u.kind, offlineSeq: u.offlineSeq }));
    const skipped = [...this.skipped].filter((s) => s > this.outbox.ackedPos);
    return {
      fullJid: this.jid,
      edgeId,
      connectionId,
      outAcked: this.outbox.acked,
      outSeq: this.outbox.ackedPos,
      inHandled: this.handled,
      updatedAtMs: Date.now(),
      carried,
      skipped,
    };
  }
}
