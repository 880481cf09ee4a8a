// The unacknowledged queue of one stream-managed session (XEP-0198 §4):
// what was sent and not yet acknowledged, each with its position in the
// stream (position.ts; 0: carried over from a previous edge at a resumption).
import type { StanzaKind } from '@cx/stanza';
import { newlyAcked } from './counter';

export interface Unacked {
  readonly pos: number;
  readonly to: string;
  readonly xml: Uint8Array;
  readonly kind: StanzaKind;
  /** A stored offline message (its sequence in xmpp_offline): deleted there once acknowledged. */
  readonly offlineSeq?: number;
}

/** removed: how many were acknowledged; offline: the offline sequences among them. */
export type AckOutcome = { ok: true; removed: number; offline: number[] } | { ok: false; sent: number };

const NONE: number[] = [];

export class Outbox {
  private items: Unacked[] = [];
  private head = 0;
  /** Stanzas sent since enable (unwrapped). */
  sent: number;
  /** Stanzas acknowledged (unwrapped). */
  acked: number;
  /** The stream position of the last acknowledged delivery that came from the stream. */
  ackedPos: number;
  private unackedBytes = 0;

  constructor(start: { sent: number; acked: number; ackedPos: number }) {
    this.sent = start.sent;
    this.acked = start.acked;
    this.ackedPos = start.ackedPos;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Bytes of the unacknowledged stanzas (the queue's bound is in bytes too). */
  get bytes(): number {
    return this.unackedBytes;
  }

  push(item: Unacked): void {
    this.items.push(item);
    this.unackedBytes += item.xml.byteLength;
    this.sent++;
  }

  /** Apply the client's h; an h above what was sent is refused (§4, handled-count-too-high). */
  ack(h: number): AckOutcome {
    const n = newlyAcked(h, this.acked, this.sent);
    if (n === undefined) return { ok: false, sent: this.sent };
    let offline = NONE;
    for (let i = 0; i < n; i++) {
      const it = this.items[this.head++];
      this.unackedBytes -= it.xml.byteLength;
      if (it.pos > 0) this.ackedPos = it.pos;
      if (it.offlineSeq) (offline === NONE ? (offline = []) : offline).push(it.offlineSeq);
    }
    this.acked += n;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { ok: true, removed: n, offline };
  }

  /** The oldest unacknowledged delivery that came from the stream, if any. */
  firstPos(): number | undefined {
    for (let i = this.head; i < this.items.length; i++) if (this.items[i].pos > 0) return this.items[i].pos;
    return undefined;
  }

  /** What is still unacknowledged, oldest first. */
  pending(): Unacked[] {
    return this.items.slice(this.head);
  }

  /** The unacknowledged ones carried over from another edge (seq 0). */
  carried(): Unacked[] {
    return this.pending().filter((u) => u.pos === 0);
  }
}
