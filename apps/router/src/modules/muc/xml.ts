// The stanzas a room sends (XEP-0045 §7): occupants' presence with their
// muc#user item and status codes, the subject, and what a room shows in disco.
import { formElement, type InfoForm } from '@cx/modules';
import { createHmac } from 'node:crypto';
import { affiliationOf, bareOf, type Occupant, type Room } from '@cx/muc';
import { roomInfoExtraFeatures, roomInfoExtraFields } from './room-info';
import { elementFromBytes } from '@cx/stanza';
import { NS, x, type Element } from '@cx/xmpp-core';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_DISCO_INFO = NS.DISCO_INFO;
export const NS_DISCO_ITEMS = NS.DISCO_ITEMS;

/** May `viewer` see real JIDs (non-anonymous room, or a moderator)? */
export function seesJids(room: Room, viewer: Occupant): boolean {
  return room.config.whois === 'anyone' || viewer.role === 'moderator';
}

export const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

/** Ids computed lately (salt and bare JID → id): every presence and message of a room carries one per occupant. */
const ids = new Map<string, string>();
const MAX_IDS = 50_000;

/** XEP-0421: a stable pseudonymous id of a real bare JID in this room (an HMAC under the room's salt). */
export function occupantId(roomJid: string, room: Room, jid: string): Element {
  const key = room.salt ?? roomJid;
  const bare = bareOf(jid);
  const memo = `${key}\n${bare}`;
  let id = ids.get(memo);
  if (id === undefined) {
    id = createHmac('sha256', key).update(bare).digest('base64');
    if (ids.size >= MAX_IDS) ids.clear();
    ids.set(memo, id);
  }
  return x('occupant-id', { xmlns: NS_OCCUPANT_ID, id });
}

/** The payload of a presence worth keeping for later joiners (not the MUC elements), as XML; '' past `max` bytes. */
export function presencePayload(el: Element, max = 4096): string {
  const xml = el
    .getChildElements()
    .filter((c) => c.attrs.xmlns !== NS_MUC && c.attrs.xmlns !== NS_MUC_USER && c.attrs.xmlns !== NS_OCCUPANT_ID)
    .map((c) => c.toString())
    .join('');
  return xml.length > max ? '' : xml;
}

function payload(xml: string | undefined): Element[] {
  if (!xml) return [];
  return elementFromBytes(new TextEncoder().encode(`<p>${xml}</p>`))?.getChildElements() ?? [];
}

/** `who`'s presence in the room as `viewer` gets it, with its kept payload (not when unavailable). */
export function occupantPresence(
  roomJid: string,
  room: Room,
  who: Occupant,
  viewer: Occupant,
  opts: { codes?: number[]; unavailable?: boolean; nick?: string; from?: string } = {},
): Element {
  const item = x('item', {
    affiliation: affiliationOf(room, who.jid),
    role: opts.unavailable && !opts.nick ? 'none' : who.role,
    jid: seesJids(room, viewer) ? who.jid : undefined,
    nick: opts.nick,
  });
  const codes = (opts.codes ?? []).map((code) => x('status', { code }));
  return x(
    'presence',
    { from: `${roomJid}/${opts.from ?? who.nick}`, type: opts.unavailable ? 'unavailable' : undefined },
    ...(opts.unavailable ? [] : payload(who.presence)),
    occupantId(roomJid, room, who.jid),
    x('x', { xmlns: NS_MUC_USER }, item, ...codes),
  );
}

/** The status codes of one's own presence on entering (§7.2.16, §10.1.1). */
export function selfCodes(room: Room, created: boolean): number[] {
  return [...(room.config.whois === 'anyone' ? [100] : []), 110, ...(created ? [201] : [])];
}

/** The subject message sent after the presences on joining (§7.2.15); empty when none was set. */
export function subjectMessage(roomJid: string, room: Room): Element {
  const from = room.subject?.by ? `${roomJid}/${room.subject.by}` : roomJid;
  return x('message', { from, type: 'groupchat', id: `subject-${Date.now().toString(36)}` }, x('subject', {}, room.subject?.text ?? ''));
}

/** §6.4: the room's disco#info: identity, the muc_ features that describe it, muc#roominfo. */
export function roomInfo(roomName: string, room: Room, extra: string[] = []): Element {
  const c = room.config;
  const features = [
    NS_MUC,
    'http://jabber.org/protocol/muc#self-ping-optimization',
    NS_OCCUPANT_ID,
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    c.public ? 'muc_public' : 'muc_hidden',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.password ? 'muc_passwordprotected' : 'muc_unsecured',
    ...roomInfoExtraFeatures,
    ...extra,
  ];
  const form: InfoForm = {
    formType: 'http://jabber.org/protocol/muc#roominfo',
    fields: [
      { var: 'muc#roominfo_description', type: 'text-single', values: [c.description] },
      { var: 'muc#roominfo_occupants', type: 'text-single', values: [String(room.occupants.length)] },
      { var: 'muc#roominfo_subject', type: 'text-single', values: [room.subject?.text ?? ''] },
      { var: 'muc#roomconfig_roomname', type: 'text-single', values: [c.name] },
      { var: 'muc#roomconfig_changesubject', type: 'boolean', values: [c.changeSubject ? '1' : '0'] },
      ...roomInfoExtraFields(room),
    ],
  };
  return x(
    'query',
    { xmlns: NS_DISCO_INFO },
    x('identity', { category: 'conference', type: 'text', name: c.name || roomName }),
    ...[...new Set(features)].map((v) => x('feature', { var: v })),
    formElement(form),
  );
}

/** §6.1: the service's disco#info. */
export function serviceInfo(): Element {
  return x(
    'query',
    { xmlns: NS_DISCO_INFO },
    x('identity', { category: 'conference', type: 'text', name: 'Group chat' }),
    x('feature', { var: NS_DISCO_INFO }),
    x('feature', { var: NS_DISCO_ITEMS }),
    x('feature', { var: NS_MUC }),
    // XEP-0486 §3.1: clients look for room avatar support on the service (rooms answer vcard-temp; the service an empty vCard).
    x('feature', { var: 'vcard-temp' }),
  );
}
