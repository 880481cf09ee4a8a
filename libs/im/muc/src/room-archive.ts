// A room's history in the message archive (XEP-0313 on the room, XEP-0359
// stanza-ids by the room, XEP-0045 §7.2.13 join history): what is archived,
// who may read the archive, and the join history a <history/> asks for as an
// archive query. The router's muc module does the reading and writing.
import { NS, StanzaError, type Element } from '@cx/xmpp-core';
import { affiliationOf, occupantByJid, type Room } from './room';

/** Does this room archive its messages (muc#roomconfig_enablearchiving; absent: yes)? */
export function archiving(room: Room): boolean {
  return room.config.enableArchiving !== false;
}

const CONTENT_NS = new Set(['eu.siacs.conversations.axolotl', 'urn:xmpp:omemo:2', 'urn:xmpp:openpgp:0', 'jabber:x:encrypted']);

/** A groupchat message worth archiving: a body or an encrypted payload, or XEP-0334 <store/>; never with <no-store/>. */
export function archivableGroupchat(el: Element): boolean {
  const children = el.getChildElements();
  if (children.some((c) => c.name === 'no-store' && c.attrs.xmlns === NS.HINTS)) return false;
  if (children.some((c) => c.name === 'store' && c.attrs.xmlns === NS.HINTS)) return true;
  return children.some((c) => c.name === 'body' || CONTENT_NS.has(c.attrs.xmlns ?? ''));
}

/** Without the <stanza-id/>s a client put there in the room's name (XEP-0359 §3.1). */
export function withoutRoomStanzaIds(children: Element[], roomJid: string): Element[] {
  const room = roomJid.toLowerCase();
  return children.filter((c) => !(c.name === 'stanza-id' && c.attrs.xmlns === NS.SID && String(c.attrs.by ?? room).toLowerCase() === room));
}

/**
 * May `jid` read the room's archive (what Prosody's mod_muc_mam allows)?
 * Occupants may; otherwise not an outcast, and in a members-only room only
 * members, admins and owners. A password-protected room is also kept from
 * those who are neither occupant nor affiliated (they could not enter it).
 */
export function mayReadArchive(room: Room, jid: string): true | StanzaError {
  if (occupantByJid(room, jid)) return true;
  const a = affiliationOf(room, jid);
  if (a === 'outcast') return new StanzaError('forbidden', 'you are banned from this room');
  if (room.config.membersOnly && a === 'none') return new StanzaError('forbidden', 'the archive of a members-only room is for its members');
  if (room.config.password && a === 'none') return new StanzaError('forbidden', 'the archive of a password-protected room is for its occupants');
  return true;
}
