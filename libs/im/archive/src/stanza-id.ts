// XEP-0359 stable and unique stanza ids: the archive's id of a message, given
// by='<the archive owner's bare JID>'. A client may not forge one of ours
// (§3.1 "the server MUST remove any <stanza-id/> whose 'by' is its own"): a
// stanza-id naming any JID of this domain is removed before routing.
import { x, type Element } from '@cx/xmpp-core';
import { MAM_NS } from './ns';

/** Remove every stanza-id whose 'by' is this domain or one of its accounts; true when one was removed. */
export function stripOurStanzaIds(message: Element, domain: string): boolean {
  const before = message.children.length;
  message.children = message.children.filter(
    (c) => typeof c === 'string' || !(c.getName() === 'stanza-id' && c.getNS() === MAM_NS.SID && ours(c.attrs.by, domain)),
  );
  return message.children.length !== before;
}

function ours(by: unknown, domain: string): boolean {
  if (typeof by !== 'string') return true; // no 'by': nobody can rely on it; drop it with ours
  const bare = by.split('/')[0].toLowerCase();
  const d = domain.toLowerCase();
  return bare === d || bare.endsWith(`@${d}`);
}

/** Add <stanza-id by=archiveOwner id=id/>, after removing any earlier one by the same owner. */
export function stampStanzaId(message: Element, by: string, id: string): Element {
  message.children = message.children.filter((c) => typeof c === 'string' || !(c.getName() === 'stanza-id' && c.getNS() === MAM_NS.SID && c.attrs.by === by));
  message.cnode(x('stanza-id', { xmlns: MAM_NS.SID, by, id }));
  return message;
}
