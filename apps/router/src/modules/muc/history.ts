// A room's history (docs/architecture.md, "Group chat (MUC)", "Room history"):
// with MUC_ARCHIVE and muc#roomconfig_enablearchiving, every groupchat message
// with content goes to the room's archive (@cx/archive, archive key = the
// room's bare JID) before it is broadcast, and every occupant's copy carries
// the same <stanza-id by=room/>; the join history is the archive's last page;
// XEP-0313 queries to the room are answered from it (@cx/archive's query
// parsing and result stanzas, as the mam module); XEP-0425 moderation puts a
// tombstone in the message's place. Rooms that do not archive keep their
// last messages in the room record (history.ts of @cx/muc), as before.
import { finElement, MAM_NS, parseQuery, queryForm, resultMessage, stampStanzaId, type Archive } from '@cx/archive';
import type { Logger } from '@cx/log';
import {
  archivableGroupchat,
  archiving,
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
import { randomBytes } from 'node:crypto';
import type { Sender } from '../../routing';
import { occupantId } from './xml';

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
  constructor(private readonly d: RoomHistoryDeps) {}

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
   * `out` (a message as the room broadcasts it, from `from`) archived in the
   * room's archive and stamped with its stanza-id; the append is awaited, so
   * an id an occupant sees can be paged from at once. Not archived (no
   * content, too big, the append failed): `out` as it was.
   */
  async archive(roomJid: string, out: Element, from: string): Promise<Element> {
    const a = this.d.archive;
    if (!a || !archivableGroupchat(out)) return out;
    const id = a.archive.nextId();
    const xml = stampStanzaId(out, roomJid, id).toString();
    if (Buffer.byteLength(xml) <= a.maxMessageBytes) {
      try {
        await a.archive.backlog(roomJid);
        await a.archive.append(roomJid, { id, with: from, xml });
        return out;
      } catch (err) {
        this.d.log.error({ err, room: roomJid }, 'muc: archiving a message failed');
      }
    }
    out.children = out.children.filter((c) => typeof c === 'string' || c.name !== 'stanza-id' || c.attrs.id !== id);
    return out;
  }

  /** §7.2.13: the history a joiner asked for, oldest first, each with its delay (and, from the archive, its stanza-id). */
  async joinHistory(roomJid: string, room: Room, req: HistoryRequest): Promise<Element[]> {
    const now = Date.now();
    let entries: HistoryEntry[] = [];
    if (!this.on(room)) entries = historyFor(room, req, now);
    else {
      const q = historyQuery(req, this.d.history.messages, now);
      const page = q ? await this.d.archive?.archive.query(roomJid, { before: '', ...q }).catch((err: Error) => this.failed(err, roomJid)) : undefined;
      if (page && page !== 'item-not-found')
        entries = pickHistory(
          page.items.map((m) => ({ xml: m.xml, at: m.ts })),
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
    for (const m of page.items) this.d.reply(sender, resultMessage(to, roomJid, q.queryid, m));
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
    const notice = moderationNotice(roomJid, m, `moderation-${randomBytes(6).toString('hex')}`);
    await broadcast(await this.archive(roomJid, notice, roomJid));
    return null;
  }

  /** The room is gone (destroyed, or a temporary room emptied): its archive goes with it. */
  async forget(roomJid: string): Promise<void> {
    await this.d.archive?.archive.purge(roomJid).catch((err: Error) => this.d.log.warn({ err, room: roomJid }, 'muc: purging the room archive failed'));
  }
}
