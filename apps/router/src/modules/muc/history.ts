// A room's history (docs/architecture.md, "Group chat (MUC)", "Room history"):
// with MUC_ARCHIVE and muc#roomconfig_enablearchiving, every groupchat message
// with content goes to the room's archive (@cx/archive, archive key = the
// room's bare JID) before it is broadcast, and every occupant's copy carries
// the same <stanza-id by=room/>; the join history is the archive's last page;
// XEP-0313 queries to the room are answered from it (@cx/archive's query
// parsing and result stanzas, as the mam module); XEP-0425 moderation puts a
// tombstone in the message's place. Rooms that do not archive keep their
// last messages in the room record (history.ts of @cx/muc), as before.
import { finElement, MAM_NS, parseQuery, queryForm, resultMessage, stampStanzaId, type Archive, type ArchivedMessage } from '@cx/archive';
import type { Logger } from '@cx/log';
import {
  archivableGroupchat,
  archiving,
  bareOf,
  historyFor,
  historyQuery,
  mayReadArchive,
  moderationNotice,
  NS_MODERATE,
  NS_MODERATE_0,
  occupantByJid,
  pickHistory,
  tombstone,
  type HistoryEntry,
  type HistoryLimits,
  type HistoryRequest,
  type ModerateRequest,
  type Room,
} from '@cx/muc';
import { elementFromBytes } from '@cx/stanza';
import { StanzaError, x, type Element } from '@cx/xmpp-core';
import { createHash, randomBytes } from 'node:crypto';
import type { Sender } from '../../routing';
import { NS_MUC_USER, occupantId } from './xml';

/** The archive rooms write to (MucDeps.archive). */
export interface RoomArchiveDeps {
  archive: Archive;
  /** Largest message archived, in bytes (MAM_MAX_MESSAGE_BYTES): a bigger one is broadcast without a stanza-id. */
  maxMessageBytes: number;
}

export interface RoomHistoryDeps {
  archive?: RoomArchiveDeps;
  history: HistoryLimits;
  log: Logger;
  reply(sender: Sender, el: Element): void;
}

/** XEP-0045 §17.1 "muc#stable_id": the room's stanza-ids are stable and unique (XEP-0359). */
const STABLE_ID = 'http://jabber.org/protocol/muc#stable_id';
const ENABLE_ARCHIVING = 'muc#roomconfig_enablearchiving';

const parse = (xml: string): Element | undefined => elementFromBytes(new TextEncoder().encode(xml)) ?? undefined;

export class RoomHistory {
  private readonly recent: RecentIds;
  constructor(private readonly d: RoomHistoryDeps) {
    this.recent = new RecentIds(async (room) => {
      const page = await d.archive?.archive.query(room, { before: '', max: RECENT }).catch((err: Error) => this.failed(err, room));
      return page && page !== 'item-not-found' ? page.items : [];
    });
  }

  /** Does this room's history live in the archive? */
  on(room: Room): boolean {
    return !!this.d.archive && archiving(room);
  }

  /** The room's disco#info features this adds (only when the room archives). */
  features(room: Room): string[] {
    return this.on(room) ? [MAM_NS.MAM, MAM_NS.SID, STABLE_ID, NS_MODERATE, NS_MODERATE_0] : [];
  }

  /** The owner's form without muc#roomconfig_enablearchiving when the service keeps no archive (a field that does nothing). */
  form(form: Element): Element {
    if (!this.d.archive) form.children = form.children.filter((c) => typeof c === 'string' || c.attrs.var !== ENABLE_ARCHIVING);
    return form;
  }

  /**
   * `out` (a message as the room broadcasts it, from `from`) stamped with
   * its stanza-id, and `stored`: its append to the room's archive, begun at
   * once. The caller broadcasts meanwhile and waits for `stored` before the
   * room's next stanza (the owner handles a room's stanzas one at a time), so
   * an id an occupant sees can be paged from by the next stanza to the room,
   * and the partition records the stanza done only once it is archived.
   * `stored` never rejects (a failed append is logged: the copies went out
   * with an id the archive lacks). Not archived (no content, too big):
   * `out` as it was.
   *
   * The same message handled again (its owner died after the broadcast and
   * before recording it done, or the client sent it again) finds its id in
   * `recent` and keeps it: occupants get the same stanza-id (and drop the
   * duplicate by it) and the archive holds it once.
   *
   * `realJid`: the sender's; the archived copy carries its bare JID in a
   * muc#user <item/> (as Prosody's mod_muc_mam), given back only to those
   * who may see real JIDs (OMEMO group chats need it from MAM).
   */
  async archive(roomJid: string, out: Element, from: string, realJid?: string): Promise<{ out: Element; stored: Promise<void> }> {
    const a = this.d.archive;
    const none = { out, stored: Promise.resolve() };
    if (!a || !archivableGroupchat(out)) return none;
    const key = out.attrs.id ? await this.recent.key(roomJid, out.toString()) : undefined;
    const again = key && this.recent.get(roomJid, key);
    if (again) return { out: stampStanzaId(out, roomJid, again), stored: Promise.resolve() };
    const id = a.archive.nextId();
    const xml = withRealJid(stampStanzaId(out, roomJid, id).toString(), realJid);
    if (Buffer.byteLength(xml) > a.maxMessageBytes) {
      out.children = out.children.filter((c) => typeof c === 'string' || c.name !== 'stanza-id' || c.attrs.id !== id);
      return none;
    }
    if (key) this.recent.set(roomJid, key, id);
    await a.archive.backlog(roomJid);
    const stored = a.archive.append(roomJid, { id, with: from, xml }).catch((err: unknown) => {
      this.d.log.error({ err, room: roomJid }, 'muc: archiving a message failed');
    });
    return { out, stored };
  }

  /**
   * §7.2.13: the history a joiner asked for, oldest first, each with its
   * delay (and, from the archive, its stanza-id; the sender's real JID only
   * when `seesJids`).
   */
  async joinHistory(roomJid: string, room: Room, req: HistoryRequest, seesJids = false): Promise<Element[]> {
    const now = Date.now();
    let entries: HistoryEntry[] = [];
    if (!this.on(room)) entries = historyFor(room, req, now);
    else {
      const q = historyQuery(req, this.d.history.messages, now);
      const page = q ? await this.d.archive?.archive.query(roomJid, { before: '', ...q }).catch((err: Error) => this.failed(err, roomJid)) : undefined;
      if (page && page !== 'item-not-found')
        entries = pickHistory(
          page.items.map((m) => ({ xml: seesJids ? m.xml : withoutRealJid(m.xml), at: m.ts })),
          req,
          now,
        );
    }
    const out: Element[] = [];
    for (const h of entries) {
      const m = parse(h.xml);
      if (!m) continue;
      m.cnode(x('delay', { xmlns: 'urn:xmpp:delay', from: roomJid, stamp: new Date(h.at).toISOString() }));
      out.push(m);
    }
    return out;
  }

  private failed(err: Error, room: string): undefined {
    this.d.log.warn({ err, room }, 'muc: reading the room archive failed');
    return undefined;
  }

  /** XEP-0313 on the room: the form (get), or a query answered with results from the room, then <fin/> (set). */
  async query(get: boolean, payload: Element, sender: Sender, roomJid: string, room: Room | null): Promise<Element | StanzaError> {
    const a = this.d.archive;
    if (!room || room.locked) return new StanzaError('item-not-found');
    if (!a || !this.on(room)) return new StanzaError('service-unavailable', 'this room keeps no archive');
    const may = mayReadArchive(room, sender.jid.toString());
    if (may !== true) return may;
    if (get) return queryForm();
    const q = parseQuery(payload);
    if (q instanceof StanzaError) return q;
    const page = await a.archive.query(roomJid, q);
    if (page === 'item-not-found') return new StanzaError('item-not-found', 'no message with that id in this archive');
    const to = sender.jid.toString();
    const sees = room.config.whois === 'anyone' || occupantByJid(room, to)?.role === 'moderator';
    for (const m of page.items) this.d.reply(sender, resultMessage(to, roomJid, q.queryid, sees ? m : { ...m, xml: withoutRealJid(m.xml) }));
    return finElement(q.queryid, page);
  }

  /**
   * XEP-0425: a moderator retracts a message: its tombstone replaces it in
   * the archive, and the notice (archived too, so a client catching up learns
   * of it) goes to every occupant through `broadcast`.
   */
  async moderate(req: ModerateRequest, sender: Sender, roomJid: string, room: Room, broadcast: (el: Element) => Promise<void>): Promise<null | StanzaError> {
    const a = this.d.archive;
    const me = occupantByJid(room, sender.jid.toString());
    if (!me || me.role !== 'moderator') return new StanzaError('forbidden', 'only moderators may moderate messages');
    if (!a || !this.on(room)) return new StanzaError('feature-not-implemented', 'this room keeps no archive');
    const by = `${roomJid}/${me.nick}`;
    const m = { ...req, by, occupantId: String(occupantId(roomJid, room, me.jid).attrs.id), stamp: new Date() };
    const done = await a.archive.retract(roomJid, req.id, (original) => {
      const el = parse(original.xml);
      return el ? tombstone(el, m).toString() : x('message', { type: 'groupchat' }).toString();
    });
    if (done === 'item-not-found') return new StanzaError('item-not-found', 'no message with that id in this room');
    if (done === 'full') return new StanzaError('resource-constraint', 'too many moderated messages in this room');
    const notice = await this.archive(roomJid, moderationNotice(roomJid, m, `moderation-${randomBytes(6).toString('hex')}`), roomJid);
    await broadcast(notice.out);
    await notice.stored;
    return null;
  }

  /** The room is gone (destroyed, or a temporary room emptied): its archive goes with it. */
  async forget(roomJid: string): Promise<void> {
    this.recent.drop(roomJid);
    await this.d.archive?.archive.purge(roomJid).catch((err: Error) => this.d.log.warn({ err, room: roomJid }, 'muc: purging the room archive failed'));
  }
}

/** Messages per room remembered for finding a message handled again. */
const RECENT = 8;
/** Rooms remembered (the least recently used go), and how long a room's memory is trusted before it is read again. */
const RECENT_ROOMS = 10_000;
const RECENT_TTL_MS = 60_000;

/**
 * Per room, the last archived messages (a digest of the copy without its
 * stanza-id → the stanza-id), read from the archive's last page the first
 * time a room is seen (after a takeover, that is where a message handled
 * again would be) and kept up to date by this process's appends. Only
 * messages with an id attribute are matched: two equal messages without one
 * may well be two messages.
 */
class RecentIds {
  private readonly rooms = new Map<string, { at: number; ids: Map<string, string> }>();

  constructor(private readonly read: (room: string) => Promise<ArchivedMessage[]>) {}

  /** The digest of a message as it is before its stanza-id is added; loads the room's memory first. */
  async key(room: string, xml: string): Promise<string> {
    const r = this.rooms.get(room);
    if (!r || Date.now() - r.at > RECENT_TTL_MS) {
      const ids = new Map<string, string>();
      for (const m of await this.read(room)) ids.set(digest(withoutStanzaId(withoutRealJid(m.xml), room, m.id)), m.id);
      this.rooms.delete(room);
      this.rooms.set(room, { at: Date.now(), ids });
      if (this.rooms.size > RECENT_ROOMS) this.rooms.delete(this.rooms.keys().next().value as string);
    }
    return digest(xml);
  }

  get(room: string, key: string): string | undefined {
    return this.rooms.get(room)?.ids.get(key);
  }

  set(room: string, key: string, id: string): void {
    const ids = this.rooms.get(room)?.ids;
    if (!ids) return;
    ids.set(key, id);
    if (ids.size > RECENT) ids.delete(ids.keys().next().value as string);
  }

  drop(room: string): void {
    this.rooms.delete(room);
  }
}

const digest = (xml: string) => createHash('sha256').update(xml).digest('base64');

/** The archived XML without the stanza-id stampStanzaId added last (so it reads as the message did before). */
function withoutStanzaId(xml: string, room: string, id: string): string {
  const tag = x('stanza-id', { xmlns: MAM_NS.SID, by: room, id }).toString();
  const at = xml.lastIndexOf(tag);
  return at < 0 ? xml : xml.slice(0, at) + xml.slice(at + tag.length);
}

const REAL_JID = /<x xmlns="http:\/\/jabber\.org\/protocol\/muc#user"><item jid="[^"]*"\/><\/x><\/message>$/;

/** The archived copy: the message with the sender's real bare JID in a muc#user <item/>, last. */
function withRealJid(xml: string, realJid: string | undefined): string {
  if (!realJid || !xml.endsWith('</message>')) return xml;
  const item = x('x', { xmlns: NS_MUC_USER }, x('item', { jid: bareOf(realJid) })).toString();
  return `${xml.slice(0, -'</message>'.length)}${item}</message>`;
}

/** The archived copy without the real JID withRealJid added (for those who may not see it). */
function withoutRealJid(xml: string): string {
  return xml.replace(REAL_JID, '</message>');
}
