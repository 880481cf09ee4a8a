// The unacknowledged queue of one stream-managed session (XEP-0198 §4):
// what was sent and not yet acknowledged, each with the stream sequence it
// came from (0: carried over from a previous edge at a resumption).
import { newlyAcked } from './counter';

export interface Unacked {
  readonly seq: number;
  readonly to: string;
  readonly xml: Uint8Array;
  readonly kind: number;
}

export type AckOutcome = { ok: true; removed: number } | { ok: false; sent: number };

export class Outbox {
  private items: Unacked[] = [];
  private head = 0;
  /** Stanzas sent since enable (unwrapped). */
  sent: number;
  /** Stanzas acknowledged (unwrapped). */
  acked: number;
  /** The stream sequence of the last acknowledged delivery that came from the stream. */
  ackedSeq: number;

  constructor(start: { sent: number; acked: number; ackedSeq: number }) {
    this.sent = start.sent;
    this.acked = start.acked;
    this.ackedSeq = start.ackedSeq;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: Unacked): void {
    this.items.push(item);
    this.sent++;
  }

  /** Apply the client's h; an h above what was sent is refused (§4, handled-count-too-high). */
  ack(h: number): AckOutcome {
    const n = newlyAcked(h, this.acked, this.sent);
    if (n === undefined) return { ok: false, sent: this.sent };
    for (let i = 0; i < n; i++) {
      const it = this.items[this.head++];
      if (it.seq > 0) this.ackedSeq = it.seq;
    }
    this.acked += n;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return { ok: true, removed: n };
  }

  /** What is still unacknowledged, oldest first. */
  pending(): Unacked[] {
    return this.items.slice(this.head);
  }

  /** The unacknowledged ones carried over from another edge (seq 0). */
  carried(): Unacked[] {
    return this.pending().filter((u) => u.seq === 0);
  }
}
