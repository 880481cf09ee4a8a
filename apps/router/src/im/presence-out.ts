// Writing presence and roster pushes to sessions: the one place the IM
// component turns decisions into deliveries.
import { x, type Element } from '@cx/xmpp-core';
import { StanzaKind } from '@cx/stanza';
import type { SessionDirectory, SessionEntry } from '@cx/session-directory';
import { pushQuery, type Item } from '@cx/roster';
import type { Deliverer } from '../deliverer';

const encoder = new TextEncoder();
const { STANZA_KIND_MESSAGE: MESSAGE, STANZA_KIND_PRESENCE: PRESENCE, STANZA_KIND_IQ: IQ } = StanzaKind;
let pushes = 0;

export class Out {
  constructor(
    private readonly directory: SessionDirectory,
    private readonly deliverer: Deliverer,
  ) {}

  /** Every bound session of a bare JID (fresh from the bucket when the mirror has none). */
  async sessions(bare: string): Promise<SessionEntry[]> {
    return (await this.directory.lookup(bare)).sessions;
  }

  /** Resolves once the registry mirror has applied `revision` (a write of ours), or after a bounded wait. */
  async caughtUp(revision: number): Promise<void> {
    await this.directory.caughtUp(revision);
  }

  available(sessions: SessionEntry[]): SessionEntry[] {
    return sessions.filter((s) => s.available);
  }

  /** Deliver one element to sessions of a bare JID, 'to' set to each full JID when `toFull`. */
  send(bare: string, targets: SessionEntry[], el: Element, kind = PRESENCE, toFull = false): void {
    if (targets.length === 0) return;
    if (!toFull) {
      const bytes = encoder.encode(el.toString());
      for (const t of targets) this.deliverer.deliver(t.edgeId, t.connectionId, `${bare}/${t.resource}`, bytes, kind, t.smId !== '');
      return;
    }
    for (const t of targets) {
      el.attrs.to = `${bare}/${t.resource}`;
      this.deliverer.deliver(t.edgeId, t.connectionId, el.attrs.to, encoder.encode(el.toString()), kind, t.smId !== '');
    }
  }

  /** A stored offline message to one session, with its sequence in xmpp_offline (deleted once the edge reports it handled). */
  sendStored(bare: string, t: SessionEntry, el: Element, seq: number): void {
    this.deliverer.deliver(t.edgeId, t.connectionId, `${bare}/${t.resource}`, encoder.encode(el.toString()), MESSAGE, t.smId !== '', { offlineSeq: seq });
  }

  /** A roster push to the user's interested resources (RFC 6121 §2.1.6). */
  async push(user: string, domain: string, jid: string, item: Item | undefined, version: number): Promise<void> {
    const bare = `${user}@${domain}`;
    const targets = (await this.sessions(bare)).filter((s) => s.interested);
    this.send(bare, targets, x('iq', { type: 'set', id: `push${++pushes}` }, pushQuery(jid, item, version)), IQ, true);
  }

  /** A presence stanza of the given type from one bare JID to another's available resources. */
  async presenceTo(toBare: string, from: string, type: string | undefined): Promise<void> {
    this.send(toBare, this.available(await this.sessions(toBare)), x('presence', { from, to: toBare, type }));
  }
}
