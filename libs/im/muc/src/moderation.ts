// XEP-0425 moderated message retraction (0.3.0, urn:xmpp:message-moderate:1,
// with XEP-0424's urn:xmpp:message-retract:1), and the 0.2 form
// (urn:xmpp:message-moderate:0 in a XEP-0422 <apply-to/>) still sent by older
// clients: the request a moderator sends to the room, the notice every
// occupant gets from the room, and the tombstone the archive keeps in the
// message's place. Both forms are read; the notice and the tombstone carry both.
import { NS, StanzaError, x, type Element } from '@cx/xmpp-core';

export const NS_MODERATE = 'urn:xmpp:message-moderate:1';
export const NS_MODERATE_0 = 'urn:xmpp:message-moderate:0';
const NS_RETRACT = 'urn:xmpp:message-retract:1';
const NS_RETRACT_0 = 'urn:xmpp:message-retract:0';
const NS_FASTEN = 'urn:xmpp:fasten:0';
const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

/** What a moderator asks: retract the room's message with this stanza-id. */
export interface ModerateRequest {
  id: string;
  reason?: string;
}

/** An iq payload as a moderation request; undefined: it is not one. */
export function parseModerate(q: Element): ModerateRequest | StanzaError | undefined {
  let moderate: Element | undefined;
  let retract: Element | undefined;
  if (q.name === 'moderate' && q.attrs.xmlns === NS_MODERATE) {
    moderate = q;
    retract = q.getChild('retract', NS_RETRACT);
  } else if (q.name === 'apply-to' && q.attrs.xmlns === NS_FASTEN) {
    moderate = q.getChild('moderate', NS_MODERATE_0);
    if (!moderate) return undefined;
    retract = moderate.getChild('retract', NS_RETRACT_0);
  } else return undefined;
  const id = q.attrs.id;
  if (!id) return new StanzaError('bad-request', 'which message: its stanza-id in id');
  if (!retract) return new StanzaError('feature-not-implemented', 'moderation here retracts messages only');
  const reason = moderate.getChildText('reason')?.trim();
  return reason ? { id, reason } : { id };
}

/** A moderation done: the message's stanza-id, by which occupant (room/nick, its occupant id), why, when. */
export interface Moderation {
  id: string;
  by: string;
  occupantId: string;
  reason?: string;
  stamp: Date;
}

const reasonEl = (m: Moderation) => (m.reason ? x('reason', {}, m.reason) : undefined);
const occupant = (m: Moderation) => x('occupant-id', { xmlns: NS_OCCUPANT_ID, id: m.occupantId });

/** §3: what every occupant gets from the room (the moderator too). */
export function moderationNotice(roomJid: string, m: Moderation, noticeId: string): Element {
  return x(
    'message',
    { from: roomJid, type: 'groupchat', id: noticeId },
    x('retract', { xmlns: NS_RETRACT, id: m.id }, x('moderated', { xmlns: NS_MODERATE, by: m.by }, occupant(m)), reasonEl(m)),
    x('apply-to', { xmlns: NS_FASTEN, id: m.id }, x('moderated', { xmlns: NS_MODERATE_0, by: m.by }, x('retract', { xmlns: NS_RETRACT_0 }), reasonEl(m))),
    x('store', { xmlns: NS.HINTS }),
  );
}

/**
 * §5: the archived message without its content: its attributes, its
 * occupant id and stanza-id stay; a <retracted/> says by whom, when, why.
 */
export function tombstone(original: Element, m: Moderation): Element {
  const kept = original.getChildElements().filter((c) => c.attrs.xmlns === NS_OCCUPANT_ID || (c.name === 'stanza-id' && c.attrs.xmlns === NS.SID));
  const stamp = m.stamp.toISOString();
  return x(
    'message',
    { ...original.attrs },
    x('retracted', { xmlns: NS_RETRACT, stamp }, x('moderated', { xmlns: NS_MODERATE, by: m.by }, occupant(m)), reasonEl(m)),
    x('moderated', { xmlns: NS_MODERATE_0, by: m.by }, x('retracted', { xmlns: NS_RETRACT_0, stamp }), reasonEl(m)),
    ...kept,
  );
}
