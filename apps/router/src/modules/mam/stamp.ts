// XEP-0359 and XEP-0313 as a message is routed: remove stanza-ids a client
// forged in our name, archive the message in its owner's archive and stamp
// the archive's id on the copy that goes on (live delivery, carbons, offline
// storage). One function for both sides: the sender's archive as the message
// arrives, the recipient's as it is delivered or stored.
import { archivable, forStorage, stampStanzaId, stripOurStanzaIds, type Archive } from '@cx/archive';
import type { routerv1 } from '@cx/proto';
import type { Element } from '@cx/xmpp-core';

export interface Stamping {
  archive: Archive;
  domain: string;
  parse(s: routerv1.Stanza): Element | undefined;
  /** Does the owner's preference (XEP-0313 §6) archive messages with this JID? */
  wanted(owner: string, other: string): boolean | Promise<boolean>;
  maxBytes: number;
  archived?(side: 'sent' | 'received'): void;
}

/**
 * Archive `s` in `owner`'s archive (the other party: `other`) when it is worth
 * archiving, and rewrite `s.xml` with its stanza-id. Returns the id, or
 * undefined when it was not archived (the xml is still cleaned of forged ids).
 */
export async function archiveAndStamp(st: Stamping, s: routerv1.Stanza, owner: string, other: string, side: 'sent' | 'received'): Promise<string | undefined> {
  const el = st.parse(s);
  if (!el) return undefined;
  const stripped = stripOurStanzaIds(el, st.domain);
  let id: string | undefined;
  if (worth(el, side) && (await st.wanted(owner, other))) {
    const xml = forStorage(el).toString();
    if (Buffer.byteLength(xml) <= st.maxBytes) {
      id = await st.archive.append(owner, { with: other, xml });
      stampStanzaId(el, owner, id);
      st.archived?.(side);
    }
  }
  if (stripped || id) s.xml = Buffer.from(el.toString());
  return id;
}

/** Errors only as the recipient's: a bounce to a full JID tells the user a message failed. */
function worth(el: Element, side: 'sent' | 'received'): boolean {
  if (el.attrs.type === 'error' && side === 'sent') return false;
  return archivable(el);
}
