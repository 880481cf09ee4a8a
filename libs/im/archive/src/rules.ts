// What goes into a user's archive (XEP-0313 §5 leaves it to the server; the
// rules are Prosody's mod_mam's): messages with content — a body, a subject,
// an encrypted payload (OMEMO, OpenPGP, XEP-0380), a receipt or chat marker,
// Jingle message initiation, a MUC invitation. Not headlines, not groupchat
// (the room archives it), not errors except one bounced to a full JID (the
// sender learns its message failed), not what XEP-0334 <no-store/> marks;
// <store/> asks for it. Chat states are stripped from the stored copy.
import { elements, x, type Element } from '@cx/xmpp-core';
import { MAM_NS } from './ns';

/** Namespaces whose presence makes a message worth keeping, whatever the element. */
const CONTENT_NS = new Set<string>([
  MAM_NS.RECEIPTS,
  MAM_NS.MARKERS,
  MAM_NS.JMI,
  MAM_NS.OMEMO_LEGACY,
  MAM_NS.OMEMO,
  MAM_NS.EME,
  'urn:xmpp:openpgp:0',
  'jabber:x:encrypted',
  'jabber:x:conference',
  'urn:xmpp:jingle-message:1',
]);

/** Should this message, routed between two JIDs, be archived (on either side)? */
export function archivable(message: Element): boolean {
  if (message.getName() !== 'message') return false;
  const type = message.attrs.type ?? 'normal';
  if (type === 'headline' || type === 'groupchat') return false;
  if (type === 'error') return typeof message.attrs.to === 'string' && message.attrs.to.includes('/');
  const children = elements(message);
  if (children.some((c) => c.getNS() === MAM_NS.HINTS && c.getName() === 'no-store')) return false;
  if (children.some((c) => c.getNS() === MAM_NS.HINTS && c.getName() === 'store')) return true;
  if (children.some((c) => c.getNS() === MAM_NS.CARBONS)) return false;
  return children.some(isContent);
}

function isContent(c: Element): boolean {
  const name = c.getName();
  const ns = c.getNS();
  if (name === 'body' || name === 'subject') return ns === undefined || ns === 'jabber:client' || ns === '';
  if (ns === 'http://jabber.org/protocol/muc#user') return elements(c).some((i) => i.getName() === 'invite');
  return ns !== undefined && CONTENT_NS.has(ns);
}

/** The copy to store: without chat states (XEP-0085) and without any stanza-id (ours is the entry's id). */
export function forStorage(message: Element): Element {
  const copy = x(message.name, message.attrs);
  copy.children = message.children.filter((c) => typeof c === 'string' || (c.getNS() !== MAM_NS.CHATSTATES && c.getNS() !== MAM_NS.SID));
  return copy;
}
