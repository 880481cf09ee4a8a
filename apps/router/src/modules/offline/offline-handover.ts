// Handing stored offline messages (XEP-0160) over at initial presence. They
// are read, not removed: each goes out with its stream sequence, and the
// recipient's edge reports it once the client has it (offline-handled.ts
// then deletes it). Until then the message is claimed here for the session
// it went to, so a second session of the same user coming online meanwhile
// does not get it too. A claim ends when the message is reported handled,
// when the claiming session is no longer among the user's sessions (its
// edge died, it was replaced), or after CLAIM_MS. Claims live in this
// router's memory: two sessions whose initial presences reach two different
// routers at once may both get a message (a copy per resource, never a loss).
import type { StoredMessage } from '@cx/offline';

/** How long a handed-over message is kept from the user's other sessions while its report is awaited. */
export const CLAIM_MS = 30_000;

export interface HandoverDeps {
  peek(bare: string): Promise<StoredMessage[]>;
  now?: () => number;
}

interface Claim {
  connectionId: string;
  untilMs: number;
}

export class OfflineHandover {
  /** bare JID → stream sequence → the session it was handed to. */
  private readonly claims = new Map<string, Map<number, Claim>>();
  /** One hand-over per user at a time: the second reads after the first has claimed. */
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly d: HandoverDeps) {
    this.now = d.now ?? Date.now;
  }

  /**
   * The stored messages of `bare` for session `connectionId`, oldest first,
   * without those already handed to one of `live` (the user's current
   * sessions, this one included) and not yet reported handled; they are
   * claimed for this session.
   */
  handOver(bare: string, connectionId: string, live: readonly string[]): Promise<StoredMessage[]> {
    const before = this.busy.get(bare) ?? Promise.resolve();
    const p = before.catch(() => undefined).then(() => this.claim(bare, connectionId, new Set(live)));
    const settled = p.catch(() => undefined);
    this.busy.set(bare, settled);
    void settled.then(() => this.busy.get(bare) === settled && this.busy.delete(bare));
    return p;
  }

  private async claim(bare: string, connectionId: string, live: Set<string>): Promise<StoredMessage[]> {
    const stored = await this.d.peek(bare);
    const now = this.now();
    const mine = this.claims.get(bare) ?? new Map<number, Claim>();
    const out: StoredMessage[] = [];
    for (const m of stored) {
      const c = mine.get(m.seq);
      // Handed to a session that is still there (this one too: a second initial presence) and not reported yet.
      if (c && c.untilMs > now && live.has(c.connectionId)) continue;
      mine.set(m.seq, { connectionId, untilMs: now + CLAIM_MS });
      out.push(m);
    }
    // Claims on messages no longer stored are over.
    const still = new Set(stored.map((m) => m.seq));
    for (const seq of mine.keys()) if (!still.has(seq)) mine.delete(seq);
    if (mine.size) this.claims.set(bare, mine);
    else this.claims.delete(bare);
    return out;
  }

  /** These messages reached the client (and are deleted): their claims end. */
  handled(bare: string, seqs: readonly number[]): void {
    const mine = this.claims.get(bare);
    if (!mine) return;
    for (const s of seqs) mine.delete(s);
    if (mine.size === 0) this.claims.delete(bare);
  }

  /** Drop expired claims (called now and then, so users who never come back leave nothing behind). */
  sweep(): void {
    const now = this.now();
    for (const [bare, mine] of this.claims) {
      for (const [seq, c] of mine) if (c.untilMs <= now) mine.delete(seq);
      if (mine.size === 0) this.claims.delete(bare);
    }
  }
}
