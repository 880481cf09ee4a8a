// Handing stored messages (XEP-0160) to a session: at its initial presence,
// and after a store that may have raced it (a message stored because no
// session was available when it was routed, while one came online and read
// the store just before the message was in it).
import type { SessionEntry } from '@cx/session-directory';
import type { Element } from '@cx/xmpp-core';
import type { OfflineHandover } from './offline-handover';

export interface StoredSender {
  sendStored(bare: string, me: SessionEntry, message: Element, seq: number): void;
}

export class HandOver {
  constructor(
    private readonly claims: Pick<OfflineHandover, 'handOver'>,
    private readonly out: StoredSender,
  ) {}

  /** The stored messages `me` has not been handed yet go to it. */
  async to(bare: string, me: SessionEntry, sessions: readonly SessionEntry[]): Promise<void> {
    const live = sessions.map((s) => s.connectionId);
    for (const m of await this.claims.handOver(bare, me.connectionId, live)) this.out.sendStored(bare, me, m.message, m.seq);
  }

  /**
   * After a store: `sessions` are read from the registry after it (not the
   * mirror, which may lag a write on another router); the first one
   * available with non-negative priority gets what it was not handed yet.
   */
  async storedWhileComingOnline(bare: string, sessions: readonly SessionEntry[]): Promise<void> {
    const me = sessions.find((s) => s.available && s.priority >= 0);
    if (me) await this.to(bare, me, sessions);
  }
}
