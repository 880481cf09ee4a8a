// The room's side of roles and avatars (XEP-0045 §7.13, §8.3–8.6, §9.6–9.8;
// XEP-0486): role lists, voice requests handed to moderators and approved
// by them, and the room's vCard. Decisions are @cx/muc's (roles.ts,
// voice.ts, avatar.ts); this file reads, writes and sends. Muc calls it.
import {
  approvalForm,
  avatarHashes,
  bareOf,
  NS_VCARD,
  occupantByJid,
  readRequest,
  setRoles,
  TOO_BIG,
  vcardUpdate,
  withRole,
  type AdminOutcome,
  type Occupant,
  type Room,
} from '@cx/muc';
import { elementFromBytes, StanzaKind } from '@cx/stanza';
import { StanzaError, x, type Element } from '@cx/xmpp-core';
import type { Sender } from '../../routing';
import type { MucDeps } from './muc';
import { NS_MUC_ADMIN, NS_MUC_USER, occupantPresence, seesJids } from './xml';

const { STANZA_KIND_MESSAGE: MESSAGE, STANZA_KIND_PRESENCE: PRESENCE } = StanzaKind;

export interface RolesDeps {
  d: MucDeps;
  /** Tell the occupants about changed roles (Muc.tellAdmin). */
  tell(name: string, out: AdminOutcome): Promise<void>;
}

/** Why occupants' roles or affiliations changed (§8.2, §8.3, §9.1): each item's reason (by nick and bare JID), and the actor's nick. */
export interface AdminWhy {
  reasons: Map<string, string>;
  actor?: string;
}

export function adminWhy(items: readonly Element[], actor: string | undefined): AdminWhy {
  const reasons = new Map<string, string>();
  for (const i of items) {
    const reason = i.getChildText('reason');
    if (!reason) continue;
    if (i.attrs.nick) reasons.set(i.attrs.nick, reason);
    if (i.attrs.jid) reasons.set(bareOf(i.attrs.jid), reason);
  }
  return { reasons, actor };
}

/** The item of `who`'s presence gets the reason given for it (all viewers) and the actor's nick (its own copy, §8.2). */
export function explain(p: Element, who: Occupant, viewer: Occupant, why: AdminWhy | undefined): Element {
  const item = p.getChild('x', NS_MUC_USER)?.getChild('item');
  if (!item || !why) return p;
  const reason = why.reasons.get(who.nick) ?? why.reasons.get(bareOf(who.jid));
  if (why.actor && viewer.jid === who.jid) item.cnode(x('actor', { nick: why.actor }));
  if (reason) item.cnode(x('reason', {}, reason));
  return p;
}

export class RoomRoles {
  constructor(private readonly r: RolesDeps) {}

  private roomJid(name: string): string {
    return `${name}@${this.r.d.host}`;
  }

  /** §8.5 voice list, §9.8 moderator list: `<item nick role jid affiliation/>` for each occupant with the role, for moderators. */
  roleList(room: Room, sender: Sender, role: string): Element | StanzaError {
    const viewer = occupantByJid(room, sender.jid.toString());
    const list = withRole(room, viewer, role);
    if (list instanceof StanzaError) return list;
    const see = viewer ? seesJids(room, viewer) : false;
    return x(
      'query',
      { xmlns: NS_MUC_ADMIN },
      ...list.map((o) => x('item', { nick: o.nick, role: o.role, jid: see ? o.jid : undefined, affiliation: room.affiliations[bareOf(o.jid)] ?? 'none' })),
    );
  }

  /** §7.13 a visitor asks for voice: every moderator gets the §8.6 form; §8.6 a moderator's submitted form with muc#request_allow true gives it. */
  async voice(el: Element, name: string, room: Room, me: Occupant, form: Element): Promise<StanzaError | null> {
    const req = readRequest(form);
    if (req.kind === 'answer') {
      if (!req.allow) return null;
      return this.grantVoice(name, me, req.nick, req.jid);
    }
    if (req.role !== 'participant') return new StanzaError('bad-request', 'only voice (participant) may be requested');
    if (me.role !== 'visitor') return null; // has voice already: nothing to ask
    const msg = x('message', { from: this.roomJid(name), id: el.attrs.id ?? `voice-${Date.now().toString(36)}` }, approvalForm(me));
    for (const o of room.occupants) if (o.role === 'moderator') await this.r.d.send(o.jid, msg, MESSAGE);
    return null;
  }

  private async grantVoice(name: string, actor: Occupant, nick: string, jid: string): Promise<StanzaError | null> {
    const out = await this.r.d.store.update<AdminOutcome | StanzaError>(name, (cur) => {
      if (!cur) return { next: undefined, result: new StanzaError('item-not-found') };
      const me = occupantByJid(cur, actor.jid);
      const target = cur.occupants.find((o) => o.nick === nick) ?? cur.occupants.find((o) => o.jid === jid);
      if (!me || !target) return { next: undefined, result: new StanzaError('item-not-found', 'no such occupant') };
      if (target.role !== 'visitor') return { next: undefined, result: { room: cur, changed: [], removed: [] } };
      const r = setRoles(cur, me, [{ nick: target.nick, role: 'participant' }]);
      return r instanceof StanzaError ? { next: undefined, result: r } : { next: r.room, result: r };
    });
    if (out === TOO_BIG) return new StanzaError('resource-constraint', 'the room is too large');
    if (out instanceof StanzaError) return out;
    await this.r.tell(name, out);
    return null;
  }

  /**
   * In a semi-anonymous room a new moderator may now see real JIDs: it gets
   * every other occupant's presence again, with the JID (as Prosody does).
   */
  async revealJids(name: string, room: Room, changed: readonly Occupant[]): Promise<void> {
    if (room.config.whois === 'anyone') return;
    const roomJid = this.roomJid(name);
    for (const mod of changed) {
      if (mod.role !== 'moderator') continue;
      for (const o of room.occupants) if (o.jid !== mod.jid) await this.r.d.send(mod.jid, occupantPresence(roomJid, room, o, mod), PRESENCE);
    }
  }

  /** After the join sequence (the subject), a room with an avatar sends the joiner its presence with the XEP-0153 hash (as Prosody does). */
  async avatarOnJoin(name: string, room: Room, jid: string): Promise<void> {
    if (room.avatarHashes?.length) await this.r.d.send(jid, x('presence', { from: this.roomJid(name) }, vcardUpdate(room.avatarHashes)), PRESENCE);
  }

  /** XEP-0486 / XEP-0054: anyone reads the room's vCard; owners set it (an empty one removes the avatar). */
  async vcard(get: boolean, q: Element, sender: Sender, name: string, room: Room | null): Promise<Element | null | StanzaError> {
    if (!room || room.locked) return new StanzaError('item-not-found');
    if (get) {
      // A room that never had a vCard (or a new room of an old name, its vCard not removed) answers an empty one.
      const xml = room.avatarHashes ? await this.r.d.store.vcard(name) : null;
      return (xml && parseVcard(xml)) || x('vCard', { xmlns: NS_VCARD });
    }
    if (room.affiliations[sender.jid.bare.toString()] !== 'owner') return new StanzaError('forbidden', 'only owners set the room vCard');
    const empty = q.getChildElements().length === 0;
    const hashes = empty ? undefined : avatarHashes(q);
    const stored = await this.r.d.store.setVcard(name, empty ? null : q.toString());
    if (stored === TOO_BIG) {
      this.r.d.rejected?.();
      return new StanzaError('not-acceptable', 'the vCard is too large');
    }
    const out = await this.r.d.store.update<Room | null>(name, (cur) => {
      if (!cur) return { next: undefined, result: null };
      const next = { ...cur, avatarHashes: hashes };
      return { next, result: next };
    });
    if (out && out !== TOO_BIG) await this.avatarChanged(name, out);
    return null;
  }

  /** XEP-0486: occupants are told the configuration changed (104), and get the room's presence with the XEP-0153 hash. */
  private async avatarChanged(name: string, room: Room): Promise<void> {
    const roomJid = this.roomJid(name);
    const note = x(
      'message',
      { from: roomJid, type: 'groupchat', id: `avatar-${Date.now().toString(36)}` },
      x('x', { xmlns: NS_MUC_USER }, x('status', { code: 104 })),
    );
    const presence = x('presence', { from: roomJid }, vcardUpdate(room.avatarHashes));
    for (const o of room.occupants) {
      await this.r.d.send(o.jid, presence, PRESENCE);
      await this.r.d.send(o.jid, note, MESSAGE);
    }
  }
}

function parseVcard(xml: string): Element | undefined {
  return elementFromBytes(new TextEncoder().encode(xml)) ?? undefined;
}
