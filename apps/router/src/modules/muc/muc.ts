// The group chat service (XEP-0045) on conference.<domain>: every stanza to
// it is read here, the room is read from KV (no memory for idle rooms),
// decided on (@cx/muc), written with a revision check, then the stanzas go
// out to the occupants' real full JIDs. docs/architecture.md, "Group chat (MUC)".
import {
  affiliationOf,
  applyConfig,
  configure,
  parseModerate,
  remember,
  withoutRoomStanzaIds,
  type ModerateRequest,
  type HistoryLimits,
  type HistoryRequest,
  bareOf,
  isAffiliation,
  kick,
  setAffiliations,
  withAffiliation,
  type AdminOutcome,
  configForm,
  join,
  kept,
  leave,
  maySetSubject,
  occupantByJid,
  occupantByNick,
  TOO_BIG,
  type Occupant,
  type Room,
  type RoomStore,
  grantMembership,
  isRole,
  mayInvite,
  mayPm,
  maySpeak,
  NS_VCARD,
  requestForm,
  setRoles,
} from '@cx/muc';
import { randomBytes } from 'node:crypto';
import { MAM_NS } from '@cx/archive';
import { StanzaKind } from '@cx/stanza';
import { iqResult, NS, StanzaError, x, type Element, type Jid } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { StanzaIn } from '../module';
import type { Sender } from '../../routing';
import { RoomHistory, type RoomArchiveDeps } from './history';
import {
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_MUC,
  NS_MUC_ADMIN,
  NS_MUC_OWNER,
  NS_MUC_USER,
  NS_OCCUPANT_ID,
  occupantId,
  occupantPresence,
  presencePayload,
  roomInfo,
  seesJids,
  selfCodes,
  serviceInfo,
  subjectMessage,
} from './xml';
import { adminWhy, explain, RoomRoles, type AdminWhy } from './roles';
import { forwardId, readForwardId } from './iq-forward';

const { STANZA_KIND_MESSAGE: MESSAGE, STANZA_KIND_PRESENCE: PRESENCE, STANZA_KIND_IQ: IQ } = StanzaKind;

export interface MucDeps {
  /** The service's host (MUC_DOMAIN). */
  host: string;
  store: RoomStore;
  log: Logger;
  /** Send to a real full JID of this server (nothing when it has no session). */
  send(fullJid: string, el: Element, kind: StanzaKind): Promise<void>;
  /** Send to the available resources of a bare JID of this server (invitations). */
  sendBare(bare: string, el: Element): Promise<void>;
  /** Answer the sender (results, errors). */
  reply(sender: Sender, el: Element): void;
  /** May this local user create rooms (MUC_CREATORS)? */
  mayCreate(user: string): boolean;
  /** Groupchat messages kept for joiners (MUC_HISTORY_MESSAGES). */
  history: HistoryLimits;
  /** A write refused by MUC_MAX_ROOM_BYTES (a metric). */
  rejected?(): void;
  /** The rooms' message archive (MUC_ARCHIVE; absent: no room archives, history in the room record). history.ts. */
  archive?: RoomArchiveDeps;
}

export class Muc {
  private readonly h: RoomHistory;
  private readonly roles: RoomRoles;

  constructor(private readonly d: MucDeps) {
    this.h = new RoomHistory(d);
    this.roles = new RoomRoles({ d, tell: (name, out) => this.tellAdmin(name, out) });
  }

  /** A stanza for the service: handled (true) when addressed to its host. */
  async handle(ev: StanzaIn, el: Element): Promise<void> {
    const { s, sender, to } = ev;
    if (s.kind === IQ) return this.iq(el, sender, to);
    if (s.kind === PRESENCE) return this.presence(el, sender, to);
    if (s.kind === MESSAGE) return this.message(el, sender, to);
  }

  private fail(el: Element, sender: Sender, error: StanzaError): void {
    if (el.attrs.type === 'error' || el.attrs.type === 'result') return;
    const reply = x(
      el.name,
      { type: 'error', id: el.attrs.id, to: sender.jid.toString(), from: el.attrs.to },
      ...el.children.filter((c) => typeof c !== 'string' && c.name !== 'error'),
      error.toElement(),
    );
    this.d.reply(sender, reply);
  }

  private tooBig(): StanzaError {
    this.d.rejected?.();
    return new StanzaError('resource-constraint', 'the room is too large');
  }

  private roomJid(room: string): string {
    return `${room}@${this.d.host}`;
  }

  // ---- iq ----

  private async iq(el: Element, sender: Sender, to: Jid): Promise<void> {
    const type = el.attrs.type;
    if ((type === 'result' || type === 'error') && to.local && to.resource) return this.forwardAnswer(el, sender, to);
    if (type !== 'get' && type !== 'set') return;
    const q = el.getChildElements()[0];
    const ns = q?.attrs.xmlns ?? '';
    const self = to.resource && type === 'get' && ns === NS.PING && (await this.isMe(sender, to));
    if (to.resource && !self) return this.forward(el, sender, to);
    const out = await this.answer(el, q, ns, sender, to);
    if (out instanceof StanzaError) return this.fail(el, sender, out);
    this.d.reply(sender, iqResult(el, out ?? undefined));
  }

  private async answer(el: Element, q: Element | undefined, ns: string, sender: Sender, to: Jid): Promise<Element | null | StanzaError> {
    const get = el.attrs.type === 'get';
    if (to.resource) return this.selfPing(sender, to);
    if (!to.local) {
      if (get && ns === NS_DISCO_INFO && !q?.attrs.node) return serviceInfo();
      if (get && ns === NS_DISCO_ITEMS) return this.publicRooms();
      if (get && ns === NS.PING) return null;
      if (get && ns === NS_VCARD) return x('vCard', { xmlns: NS_VCARD });
      return new StanzaError('service-unavailable');
    }
    const room = await this.d.store.room(to.local);
    if (get && ns === NS_DISCO_INFO) return room && !room.locked ? roomInfo(to.local, room, this.h.features(room)) : new StanzaError('item-not-found');
    if (ns === MAM_NS.MAM && q) return this.h.query(get, q, sender, this.roomJid(to.local), room);
    const moderate = !get && q ? parseModerate(q) : undefined;
    if (moderate) return moderate instanceof StanzaError ? moderate : this.moderate(moderate, sender, to.local, room);
    if (get && ns === NS_DISCO_ITEMS) return room && !room.locked ? x('query', { xmlns: NS_DISCO_ITEMS }) : new StanzaError('item-not-found');
    if (ns === NS_MUC_OWNER && q) return this.owner(get, q, sender, to.local);
    if (ns === NS_MUC_ADMIN && q) return get ? this.adminList(q, sender, room) : this.admin(q, sender, to.local);
    if (ns === NS_VCARD && q?.name === 'vCard') return this.roles.vcard(get, q, sender, to.local, room);
    return new StanzaError('service-unavailable');
  }

  /** Is the sender in the room under this nick (or not in it at all: then the room answers its self-ping)? */
  private async isMe(sender: Sender, to: Jid): Promise<boolean> {
    const room = await this.d.store.room(to.local);
    const me = room && occupantByJid(room, sender.jid.toString());
    return !me || me.nick === to.resource;
  }

  /** An iq to another occupant goes to its real JID from the asker's occupant JID (iq-forward.ts). */
  private async forward(el: Element, sender: Sender, to: Jid): Promise<void> {
    const room = await this.d.store.room(to.local);
    const me = room && occupantByJid(room, sender.jid.toString());
    if (!room || !me) return this.fail(el, sender, new StanzaError('not-acceptable', 'only occupants may query occupants'));
    const target = occupantByNick(room, to.resource);
    if (!target) return this.fail(el, sender, new StanzaError('item-not-found', 'no such occupant'));
    const roomJid = this.roomJid(to.local);
    const id = forwardId(room.salt ?? roomJid, { asker: sender.jid.toString(), target: target.jid, id: el.attrs.id ?? '' });
    await this.d.send(target.jid, x('iq', { type: el.attrs.type, id, from: `${roomJid}/${me.nick}` }, ...el.getChildElements()), IQ);
  }

  /** The asked occupant's answer goes back to the asker, from the occupant's JID, under the asker's id. */
  private async forwardAnswer(el: Element, sender: Sender, to: Jid): Promise<void> {
    const room = await this.d.store.room(to.local);
    const roomJid = this.roomJid(to.local);
    const f = room && readForwardId(room.salt ?? roomJid, el.attrs.id);
    const responder = room && occupantByJid(room, sender.jid.toString());
    if (!f || !responder || f.target !== sender.jid.toString()) return;
    await this.d.send(f.asker, x('iq', { type: el.attrs.type, id: f.id, from: `${roomJid}/${responder.nick}` }, ...el.getChildElements()), IQ);
  }

  /** XEP-0410: a ping to one's own occupant JID is answered by the room: joined (result) or not (not-acceptable). */
  private async selfPing(sender: Sender, to: Jid): Promise<null | StanzaError> {
    const room = await this.d.store.room(to.local);
    const me = room && occupantByJid(room, sender.jid.toString());
    if (me && me.nick === to.resource) return null;
    return new StanzaError('not-acceptable', 'you are not in this room under this nickname');
  }

  private async publicRooms(): Promise<Element> {
    const names = await this.d.store.names();
    const rooms = await Promise.all(names.map(async (n) => ({ n, r: await this.d.store.room(n) })));
    const listed = rooms.filter(({ r }) => r && !r.locked && r.config.public);
    return x('query', { xmlns: NS_DISCO_ITEMS }, ...listed.map(({ n, r }) => x('item', { jid: this.roomJid(n), name: r?.config.name || n })));
  }

  /** §10.1–10.2: the owner's form, an instant room (empty submit), a configuration, or cancel (a new room goes). */
  private async owner(get: boolean, q: Element, sender: Sender, name: string): Promise<Element | null | StanzaError> {
    const jid = sender.jid.toString();
    const isOwner = (r: Room | null) => !!r && r.affiliations[sender.jid.bare.toString()] === 'owner';
    if (get) {
      const room = await this.d.store.room(name);
      if (!room) return new StanzaError('item-not-found');
      if (!isOwner(room)) return new StanzaError('forbidden', 'only owners may configure the room');
      return x('query', { xmlns: NS_MUC_OWNER }, this.h.form(configForm(room.config)));
    }
    const destroy = q.getChild('destroy');
    if (destroy) return this.destroy(name, sender, destroy);
    const form = q.getChild('x', NS.DATA);
    if (!form) return new StanzaError('bad-request', 'a configuration form or <destroy/>');
    const cancel = form.attrs.type === 'cancel';
    type Configured = { before: Room; after: Room; removed: Occupant[] };
    const out = await this.d.store.update<StanzaError | Configured | 'gone' | 'kept'>(name, (cur) => {
      if (!cur) return { next: undefined, result: new StanzaError('item-not-found') };
      if (!isOwner(cur)) return { next: undefined, result: new StanzaError('forbidden', 'only owners may configure the room') };
      if (cancel) return cur.locked ? { next: null, result: 'gone' } : { next: undefined, result: 'kept' };
      if (form.attrs.type !== 'submit') return { next: undefined, result: new StanzaError('bad-request') };
      const c = configure(cur, applyConfig(cur.config, form));
      return { next: c.room, result: { before: cur, after: c.room, removed: c.removed } };
    });
    if (out === TOO_BIG) return this.tooBig();
    if (out instanceof StanzaError) return out;
    if (out === 'gone') await this.d.store.setIn(jid, name, false);
    if (typeof out === 'object') await this.configured(name, out);
    return null;
  }

  /** §10.9: an owner destroys the room; every occupant gets its unavailable with the <destroy/> (alternate venue, reason). */
  private async destroy(name: string, sender: Sender, destroy: Element): Promise<null | StanzaError> {
    const out = await this.d.store.update<Room | StanzaError>(name, (cur) => {
      if (!cur) return { next: undefined, result: new StanzaError('item-not-found') };
      if (cur.affiliations[sender.jid.bare.toString()] !== 'owner')
        return { next: undefined, result: new StanzaError('forbidden', 'only owners may destroy the room') };
      return { next: null, result: cur };
    });
    if (out === TOO_BIG) return this.tooBig();
    if (out instanceof StanzaError) return out;
    if (out.avatarHashes) await this.d.store.setVcard(name, null);
    const roomJid = this.roomJid(name);
    const reason = destroy.getChildText('reason');
    const told = x('destroy', { jid: destroy.attrs.jid }, reason ? x('reason', {}, reason) : undefined);
    for (const o of out.occupants) {
      const p = occupantPresence(roomJid, out, o, o, { unavailable: true, codes: o.jid === sender.jid.toString() ? [110] : [] });
      p.getChild('x', NS_MUC_USER)?.cnode(told);
      await this.d.send(o.jid, p, PRESENCE);
      await this.d.store.setIn(o.jid, name, false);
    }
    await this.h.forget(roomJid);
    return null;
  }

  /** §10.2.1: the occupants are told a configuration changed (104; 172/173 when real JIDs become visible or not); non-members of a room become members-only go (322). */
  private async configured(name: string, c: { before: Room; after: Room; removed: Occupant[] }): Promise<void> {
    await this.tellAdmin(name, { room: c.after, changed: [], removed: c.removed }, 322);
    if (c.before.locked) return;
    const whois = c.before.config.whois === c.after.config.whois ? [] : [c.after.config.whois === 'anyone' ? 172 : 173];
    const note = x(
      'message',
      { from: this.roomJid(name), type: 'groupchat', id: `config-${Date.now().toString(36)}` },
      x('x', { xmlns: NS_MUC_USER }, ...[104, ...whois].map((code) => x('status', { code }))),
    );
    await this.send(c.after, note);
  }

  /** §9.5, §10.5: the JIDs of one affiliation, for admins and owners. */
  private adminList(q: Element, sender: Sender, room: Room | null): Element | StanzaError {
    if (!room) return new StanzaError('item-not-found');
    const role = q.getChild('item')?.attrs.role;
    if (role) return this.roles.roleList(room, sender, role);
    const affiliation = q.getChild('item')?.attrs.affiliation ?? '';
    if (!isAffiliation(affiliation)) return new StanzaError('bad-request', 'ask for one affiliation');
    const mine = room.affiliations[sender.jid.bare.toString()];
    const me = occupantByJid(room, sender.jid.toString());
    // Members' lists (member, admin, owner) are also for the roles muc#roomconfig_getmemberlist names; the outcast list is not.
    const byRole = affiliation !== 'outcast' && !!me && (room.config.getMemberList ?? []).includes(me.role);
    if (mine !== 'owner' && mine !== 'admin' && !byRole) return new StanzaError('forbidden', 'you may not read this list');
    return x('query', { xmlns: NS_MUC_ADMIN }, ...withAffiliation(room, affiliation).map((jid) => x('item', { affiliation, jid })));
  }

  /** §8.2 kick (role none by nick), §9–10 affiliations (by JID or an occupant's nick): written, then told. */
  private async admin(q: Element, sender: Sender, name: string): Promise<null | StanzaError> {
    const items = q.getChildren('item');
    const kickNick = items.find((i) => i.attrs.role === 'none' && i.attrs.nick)?.attrs.nick;
    // §8.3–8.4, §9.6–9.7: role changes by nick (voice, moderator); a kick is role none.
    const roleItems = kickNick ? [] : items.filter((i) => i.attrs.role && !i.attrs.affiliation);
    const actorBare = sender.jid.bare.toString();
    const out = await this.d.store.update<AdminOutcome | StanzaError>(name, (cur) => {
      if (!cur) return { next: undefined, result: new StanzaError('item-not-found') };
      let r: AdminOutcome | StanzaError;
      const actor = occupantByJid(cur, sender.jid.toString());
      if (kickNick) {
        r = actor ? kick(cur, actor, kickNick) : new StanzaError('forbidden', 'you are not in this room');
      } else if (roleItems.length) {
        const changes = roleItems.map((i) => ({ nick: i.attrs.nick ?? '', role: i.attrs.role ?? '' }));
        if (changes.some((c) => !c.nick || !isRole(c.role))) r = new StanzaError('bad-request', 'each item needs a nick and a role');
        else r = actor ? setRoles(cur, actor, changes as Parameters<typeof setRoles>[2]) : new StanzaError('forbidden', 'you are not in this room');
      } else {
        const changes = items.map((i) => ({ jid: i.attrs.jid ?? occupantByNick(cur, i.attrs.nick ?? '')?.jid ?? '', affiliation: i.attrs.affiliation ?? '' }));
        const bad = changes.some((c) => !c.jid || !isAffiliation(c.affiliation));
        r =
          bad || !changes.length
            ? new StanzaError('bad-request', 'each item needs a JID (or nick) and an affiliation')
            : setAffiliations(cur, actorBare, changes as Parameters<typeof setAffiliations>[2]);
      }
      return r instanceof StanzaError ? { next: undefined, result: r } : { next: r.room, result: r };
    });
    if (out === TOO_BIG) return this.tooBig();
    if (out instanceof StanzaError) return out;
    await this.tellAdmin(name, out, kickNick ? 307 : undefined, adminWhy(items, occupantByJid(out.room, sender.jid.toString())?.nick));
    return null;
  }

  /** The occupants who went (301 banned, 307 kicked, 321 no longer a member) and those whose affiliation or role changed. */
  private async tellAdmin(name: string, out: AdminOutcome, code?: number, why?: AdminWhy): Promise<void> {
    const roomJid = this.roomJid(name);
    const { room } = out;
    const told = (who: Occupant, viewer: Occupant, opts: Parameters<typeof occupantPresence>[4]) =>
      explain(occupantPresence(roomJid, room, who, viewer, opts), who, viewer, why);
    for (const gone of out.removed) {
      const c = code ?? (room.affiliations[bareOf(gone.jid)] === 'outcast' ? 301 : 321);
      await this.d.store.setIn(gone.jid, name, false);
      await this.d.send(gone.jid, told(gone, gone, { unavailable: true, codes: [110, c] }), PRESENCE);
      for (const o of room.occupants) await this.d.send(o.jid, told(gone, o, { unavailable: true, codes: [c] }), PRESENCE);
    }
    for (const changed of out.changed)
      for (const o of room.occupants) await this.d.send(o.jid, told(changed, o, { codes: o.jid === changed.jid ? [110] : [] }), PRESENCE);
    await this.roles.revealJids(name, room, out.changed);
  }

  // ---- presence ----

  private async presence(el: Element, sender: Sender, to: Jid): Promise<void> {
    if (!to.local) return;
    const type = el.attrs.type ?? '';
    if (type === 'unavailable') return this.leave(to.local, sender.jid.toString());
    if (type !== '') return;
    if (!to.resource) return this.fail(el, sender, new StanzaError('jid-malformed', 'join with a nickname: room@service/nick'));
    await this.join(el, sender, to);
  }

  private async join(el: Element, sender: Sender, to: Jid): Promise<void> {
    const name = to.local;
    const jid = sender.jid.toString();
    const password = el.getChild('x', NS_MUC)?.getChildText('password') ?? undefined;
    const maxOccupants = this.d.store.limits.maxOccupants;
    const presence = presencePayload(el);
    const salt = randomBytes(16).toString('base64');
    const outcome = await this.d.store.update(name, (cur) => {
      const o = join(cur, { jid, nick: to.resource, password, maxOccupants, presence, salt, mayCreate: this.d.mayCreate(sender.jid.local) });
      return { next: o.kind === 'refused' ? undefined : o.room, result: o };
    });
    if (outcome === TOO_BIG) return this.fail(el, sender, this.tooBig());
    if (outcome.kind === 'refused') return this.fail(el, sender, outcome.error);
    const { room, me } = outcome;
    const roomJid = this.roomJid(name);
    const others = room.occupants.filter((o) => o.jid !== jid);
    const self = (codes: number[]) => this.d.send(jid, occupantPresence(roomJid, room, me, me, { codes }), PRESENCE);
    const toOthers = async () => {
      for (const o of others) await this.d.send(o.jid, occupantPresence(roomJid, room, me, o), PRESENCE);
    };
    if (outcome.kind === 'already') {
      await toOthers();
      return self([110]);
    }
    if (outcome.kind === 'renamed') {
      // §7.6: unavailable from the old nick with 303 and the new one, then available from the new one.
      const old = { from: outcome.old, unavailable: true, nick: me.nick };
      for (const o of others) await this.d.send(o.jid, occupantPresence(roomJid, room, me, o, { ...old, codes: [303] }), PRESENCE);
      await this.d.send(jid, occupantPresence(roomJid, room, me, me, { ...old, codes: [110, 303] }), PRESENCE);
      await toOthers();
      return self([110]);
    }
    await this.d.store.setIn(jid, name, true);
    for (const o of others) await this.d.send(jid, occupantPresence(roomJid, room, o, me), PRESENCE);
    await toOthers();
    await self(selfCodes(room, outcome.created));
    // §7.2.13: the history the joiner asked for, each with its delay, before the subject.
    const asked = historyRequest(el.getChild('x', NS_MUC)?.getChild('history'));
    for (const m of await this.h.joinHistory(roomJid, room, asked, seesJids(room, me))) await this.d.send(jid, m, MESSAGE);
    // §7.2.15: the subject (empty when none) ends every join, a new room's too (clients wait for it).
    await this.d.send(jid, subjectMessage(roomJid, room), MESSAGE);
    await this.roles.avatarOnJoin(name, room, jid);
  }

  /** §7.14: the occupant goes; the others get its unavailable, it gets its own with 110. */
  async leave(name: string, jid: string): Promise<void> {
    const out = await this.d.store.update(name, (cur) => {
      const l = cur && leave(cur, jid);
      if (!l) return { next: undefined, result: null };
      return { next: kept(l.room) ? l.room : null, result: l };
    });
    await this.d.store.setIn(jid, name, false);
    if (!out || out === TOO_BIG) return;
    const roomJid = this.roomJid(name);
    const { room, me } = out;
    if (room.avatarHashes && !kept(room)) await this.d.store.setVcard(name, null);
    for (const o of room.occupants) await this.d.send(o.jid, occupantPresence(roomJid, room, me, o, { unavailable: true }), PRESENCE);
    await this.d.send(jid, occupantPresence(roomJid, room, me, me, { unavailable: true, codes: [110] }), PRESENCE);
    if (!kept(room)) await this.h.forget(roomJid);
  }

  // ---- message ----

  private async message(el: Element, sender: Sender, to: Jid): Promise<void> {
    const type = el.attrs.type ?? 'normal';
    if (type === 'error' || !to.local) return;
    const room = await this.d.store.room(to.local);
    const invitation = !to.resource && type !== 'groupchat' ? el.getChild('x', NS_MUC_USER) : undefined;
    const decline = invitation?.getChild('decline');
    if (room && decline) return this.decline(to.local, sender, decline);
    const me = room && occupantByJid(room, sender.jid.toString());
    if (!room || !me) return this.fail(el, sender, new StanzaError('not-acceptable', 'you are not in this room'));
    if (to.resource) return this.privateMessage(el, sender, to, room, me);
    const invites = invitation?.getChildren('invite') ?? [];
    if (invites.length) return this.invite(el, sender, to.local, room, invites);
    const voice = type !== 'groupchat' ? requestForm(el) : undefined;
    if (voice) {
      const err = await this.roles.voice(el, to.local, room, me, voice);
      return err ? this.fail(el, sender, err) : undefined;
    }
    if (type !== 'groupchat') return this.fail(el, sender, new StanzaError('bad-request', 'a message to a room is groupchat, or an invitation'));
    const subject = el.getChild('subject');
    if (subject && !el.getChild('body')) return this.setSubject(el, sender, to.local, me, subject.getText());
    if (!maySpeak(me)) return this.fail(el, sender, new StanzaError('forbidden', 'visitors have no voice in this room'));
    await this.groupchat(to.local, room, me, el);
  }

  /**
   * §7.8.2 mediated invitation: the room sends it on, from itself, with the
   * inviter's bare JID and the password; in a members-only room only admins
   * and owners invite, and the invitee becomes a member.
   */
  private async invite(el: Element, sender: Sender, name: string, room: Room, invites: Element[]): Promise<void> {
    const inviter = sender.jid.bare.toString();
    if (!mayInvite(room, occupantByJid(room, sender.jid.toString()), inviter))
      return this.fail(el, sender, new StanzaError('forbidden', 'you may not invite to this room'));
    const targets = invites.map((i) => i.attrs.to ?? '').filter((j) => j.includes('@'));
    if (!targets.length) return this.fail(el, sender, new StanzaError('bad-request', 'an invitation names whom it is for'));
    if (room.config.membersOnly) {
      const fresh = targets.filter((j) => affiliationOf(room, j) === 'none');
      if (fresh.length) {
        const out = await this.d.store.update<Room | StanzaError>(name, (cur) => {
          if (!cur) return { next: undefined, result: new StanzaError('item-not-found') };
          const next = grantMembership(cur, fresh);
          return { next, result: next };
        });
        if (out === TOO_BIG) return this.fail(el, sender, this.tooBig());
        if (out instanceof StanzaError) return this.fail(el, sender, out);
      }
    }
    for (const [i, target] of targets.entries()) {
      const reason = invites[i]?.getChildText('reason');
      const password = room.config.password ? x('password', {}, room.config.password) : undefined;
      const msg = x(
        'message',
        { from: this.roomJid(name), id: el.attrs.id },
        x('x', { xmlns: NS_MUC_USER }, x('invite', { from: inviter }, reason ? x('reason', {}, reason) : undefined), password),
        x('body', {}, `${inviter} invites you to the room ${this.roomJid(name)}${reason ? `: ${reason}` : ''}`),
      );
      await this.d.sendBare(bareOf(target), msg);
    }
  }

  /** §7.8.2: an invitee declines; the inviter is told, from the room. */
  private async decline(name: string, sender: Sender, decline: Element): Promise<void> {
    const to = decline.attrs.to;
    if (!to) return;
    const reason = decline.getChildText('reason');
    const msg = x(
      'message',
      { from: this.roomJid(name) },
      x('x', { xmlns: NS_MUC_USER }, x('decline', { from: sender.jid.bare.toString() }, reason ? x('reason', {}, reason) : undefined)),
    );
    await this.d.sendBare(bareOf(to), msg);
  }

  /** A groupchat message: kept in the room's history (when it has a body), then sent to every occupant. */
  private async groupchat(name: string, room: Room, me: Occupant, el: Element): Promise<void> {
    const out = this.fromOccupant(name, me, el, room);
    if (this.h.on(room)) {
      const a = await this.h.archive(this.roomJid(name), out, out.attrs.from, me.jid);
      await this.send(room, a.out);
      return a.stored;
    }
    if (!el.getChild('body') || this.d.history.messages <= 0) return this.send(room, out);
    const entry = { xml: out.toString(), at: Date.now() };
    const kept = await this.d.store.update<Room | null>(name, (cur) => {
      if (!cur || !occupantByJid(cur, me.jid)) return { next: undefined, result: null };
      const next = remember(cur, entry, this.d.history);
      return { next: next === cur ? undefined : next, result: next };
    });
    if (kept === TOO_BIG) this.d.rejected?.();
    await this.send(kept === TOO_BIG || !kept ? room : kept, out);
  }

  /** What an occupant sent, from room/nick, with its occupant id (one the client put there is dropped, XEP-0421 §4). */
  private fromOccupant(name: string, me: Occupant, el: Element, room: Room, type = 'groupchat'): Element {
    const roomJid = this.roomJid(name);
    const children = withoutRoomStanzaIds(
      el.getChildElements().filter((c) => c.attrs.xmlns !== NS_OCCUPANT_ID),
      roomJid,
    );
    return x('message', { from: `${roomJid}/${me.nick}`, type, id: el.attrs.id }, ...children, occupantId(roomJid, room, me.jid));
  }

  private async send(room: Room, out: Element): Promise<void> {
    for (const o of room.occupants) await this.d.send(o.jid, out, MESSAGE);
  }

  private async broadcast(name: string, room: Room, me: Occupant, el: Element): Promise<void> {
    await this.send(room, this.fromOccupant(name, me, el, room));
  }

  /** §8.1: a subject change by an occupant allowed to make it, stored, then sent to all. */
  private async setSubject(el: Element, sender: Sender, name: string, me: Occupant, text: string): Promise<void> {
    const out = await this.d.store.update<Room | StanzaError>(name, (cur) => {
      const o = cur && occupantByJid(cur, me.jid);
      if (!cur || !o) return { next: undefined, result: new StanzaError('not-acceptable', 'you are not in this room') };
      if (!maySetSubject(cur, o)) return { next: undefined, result: new StanzaError('forbidden', 'you may not change the subject') };
      const next = { ...cur, subject: { text, by: o.nick } };
      return { next, result: next };
    });
    if (out === TOO_BIG) return this.fail(el, sender, this.tooBig());
    if (out instanceof StanzaError) return this.fail(el, sender, out);
    await this.broadcast(name, out, me, el);
  }

  /** XEP-0425: a moderator retracts a message of the room's archive; every occupant is told (history.ts). */
  private async moderate(req: ModerateRequest, sender: Sender, name: string, room: Room | null): Promise<null | StanzaError> {
    if (!room) return new StanzaError('item-not-found');
    return this.h.moderate(req, sender, this.roomJid(name), room, (el) => this.send(room, el));
  }

  /** §7.5: a private message to another occupant, from room/nick; answers to it go through the room as well. */
  private async privateMessage(el: Element, sender: Sender, to: Jid, room: Room, me: Occupant): Promise<void> {
    if (el.attrs.type === 'groupchat') return this.fail(el, sender, new StanzaError('bad-request', 'a private message is not groupchat'));
    if (!mayPm(room, me)) return this.fail(el, sender, new StanzaError('forbidden', 'private messages are not allowed here'));
    const peer = occupantByNick(room, to.resource);
    if (!peer) return this.fail(el, sender, new StanzaError('item-not-found', 'no such occupant'));
    const out = this.fromOccupant(to.local, me, el, room, el.attrs.type ?? 'normal');
    out.cnode(x('x', { xmlns: NS_MUC_USER }));
    await this.d.send(peer.jid, out, MESSAGE);
  }
}

/** The joiner's <history/> (§7.2.14): numbers and a since stamp; absent: everything kept. */
function historyRequest(h: Element | undefined): HistoryRequest {
  if (!h) return {};
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  const since = h.attrs.since ? Date.parse(h.attrs.since) : NaN;
  return {
    maxchars: num(h.attrs.maxchars),
    maxstanzas: num(h.attrs.maxstanzas),
    seconds: num(h.attrs.seconds),
    since: Number.isNaN(since) ? undefined : since,
  };
}
