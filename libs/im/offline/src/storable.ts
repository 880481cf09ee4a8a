// Which messages go to offline storage when the bare JID has no available
// resource. RFC 6121 §8.5.2.2: normal and chat are stored (or bounced),
// groupchat is bounced, headline and error are dropped. XEP-0160 §3: so are
// messages carrying nothing but chat states (XEP-0085 §5.6) or event
// notifications (XEP-0022). XEP-0334 §4: <no-store/> forbids storage,
// <store/> asks for it even without a body.
import { elements, type Element } from '@cx/xmpp-core';
import { OFFLINE_NS } from './ns';

/** Children that only describe or accompany a message, never content of their own. */
const METADATA_NS = new Set<string>([OFFLINE_NS.HINTS, OFFLINE_NS.CHATSTATES, OFFLINE_NS.EVENT, OFFLINE_NS.DELAY, OFFLINE_NS.SID]);

/** Should this message, addressed to a user with no available resource, be stored offline? */
export function storable(message: Element): boolean {
  if (message.getName() !== 'message') return false;
  const type = message.attrs.type ?? 'normal';
  if (type !== 'normal' && type !== 'chat') return false;
  if (hint(message, 'no-store')) return false;
  if (hint(message, 'store')) return true;
  return elements(message).some(isContent);
}

function hint(message: Element, name: string): boolean {
  return elements(message).some((c) => c.getName() === name && c.getNS() === OFFLINE_NS.HINTS);
}

/** A body, a subject or any extension payload; not a thread id or metadata. */
function isContent(c: Element): boolean {
  const ns = c.getNS();
  if (ns !== undefined && METADATA_NS.has(ns)) return false;
  return c.getName() !== 'thread';
}
