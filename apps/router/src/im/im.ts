// Instant messaging and presence (RFC 6121): roster get/set with pushes and
// versioning (§2), the subscription state machine with both sides on this
// server (§3, Appendix A), and presence broadcast, probes and unavailable
// presence when a session ends (§4).
import { errorReply, iqResult, StanzaError, tryParseJid, x, type Element, type Jid } from '@cx/xmpp-core';
import { elementFromBytes, StanzaKind } from '@cx/stanza';
import {
  emptyItem,
  hasFrom,
  hasTo,
  inboundSubscribe,
  listed,
  inboundSubscribed,
  inboundUnsubscribe,
  inboundUnsubscribed,
  outboundSubscribe,
  outboundSubscribed,
  outboundUnsubscribe,
  outboundUnsubscribed,
  parseRosterSet,
  changesSince,
  pushQuery,
  rosterQuery,
  type Item,
  type RosterStore,
  type Step,
} from '@cx/roster';
import { boundedSubscribe, rosterRefusal } from './roster-limits';
import type { SessionEntry } from '@cx/session-directory';
import type { Out } from './presence-out';
import type { RouterHooks } from '../modules/module';

export interface SessionUpdate {
  available?: boolean;
  priority?: number;
  interested?: boolean;
  presence?: Uint8Array;
  carbons?: boolean;
  directedAdd?: string;
  directedRemove?: string;
}

export interface ImDeps {
  domain: string;
  /**
   * The router's hooks: 'presence-initial' (offline messages are handed over
   * there) and 'presence-unavailable' (last activity is recorded there).
   */
  hooks?: RouterHooks;
  rosters: RosterStore;
  out: Out;
  /** Tell the rest of the system (NATS event). */
  presenceChanged?(fullJid: string, available: boolean, priority: number, stanza: Uint8Array): void;
  /** Does this account exist (RFC 6121 §3.1.3, §8.5.1: a request to none is silently ignored)? */
  userExists?(username: string): Promise<boolean>;
  /** Does `user` block `other` (XEP-0191)? Blocked contacts get no presence and give none. */
  blocks?(user: string, other: Jid): boolean;
  /** Update the sender's session entry; says whether it was available before. */
  /** `revision`: the registry bucket's revision of the write (0 or absent: nothing written). */
  updateSession(
    fullJid: string,
    connectionId: string,
    u: SessionUpdate,
  ): Promise<{ wasAvailable: boolean; directed: string[]; directedRefused?: boolean; tooLarge?: boolean; revision?: number }>;
  /** A write refused (or a request dropped) at a per-user bound of `store` (a metric). */
  rejected?(store: string): void;
}

export interface From {
  jid: Jid;
  connectionId: string;
}

export class Im {
  constructor(private readonly d: ImDeps) {}

  private bareOf(local: string): string {
    return `${local}@${this.d.domain}`;
  }

  // --- rosters (§2) ---

  async rosterIq(iq: Element, query: Element, from: From, reply: (el: Element) => void): Promise<void> {
    const user = from.jid.local;
    if (iq.attrs.type === 'get') {
      await this.d.updateSession(from.jid.toString(), from.connectionId, { interested: true });
      const roster = await this.d.rosters.get(user);
      // §2.6.3: a client with a version we can diff from gets an empty result, then a push per change since.
      const changes = query.attrs.ver !== undefined ? changesSince(roster, query.attrs.ver) : undefined;
      if (!changes) return reply(iqResult(iq, rosterQuery(roster.items, roster.version)));
      reply(iqResult(iq));
      const me = (await this.d.out.sessions(this.bareOf(user))).filter((s) => s.connectionId === from.connectionId);
      for (const c of changes)
        this.d.out.send(
          this.bareOf(user),
          me,
          x('iq', { type: 'set', id: `push-v${c.version}` }, pushQuery(c.jid, c.item, c.version)),
          StanzaKind.STANZA_KIND_IQ,
          true,
        );
      return;
    }
    const req = parseRosterSet(query);
    if (req instanceof StanzaError) return reply(errorReply(iq, req));
    if (req.kind === 'remove') return this.removeItem(iq, user, req.jid, reply);
    const r = await this.d.rosters.updateItem(
      user,
      req.jid,
      (cur) => ({
        item: { ...(cur ?? emptyItem(req.jid)), name: req.name, groups: req.groups, requestOnly: false },
        result: undefined,
      }),
      { bounded: true },
    );
    if (r.refused) return reply(errorReply(iq, rosterRefusal(r.refused, this.d.rosters.limits, this.d.rejected)));
    reply(iqResult(iq));
    await this.d.out.push(user, this.d.domain, req.jid, r.item, r.version);
  }

  /** §2.5.3: removing an item cancels both directions of subscription. */
  private async removeItem(iq: Element, user: string, jid: string, reply: (el: Element) => void): Promise<void> {
    // A request-only item (a pending request, §3.1.3) is not in the roster: nothing to remove.
    const r = await this.d.rosters.updateItem(user, jid, (cur) => (cur && listed(cur) ? { item: null, result: cur } : { item: undefined, result: undefined }));
    if (!r.result) return reply(errorReply(iq, new StanzaError('item-not-found')));
    reply(iqResult(iq));
    await this.d.out.push(user, this.d.domain, jid, undefined, r.version);
    const old = r.result;
    const contact = tryParseJid(jid);
    if (!contact || contact.domain !== this.d.domain || !contact.local) return;
    await this.cancelBoth(user, contact.local, old);
  }

  /** §2.5.3: the contact (on this server) sees the user cancel both directions. */
  private async cancelBoth(user: string, contactLocal: string, old: Item): Promise<void> {
    if (hasTo(old) || old.ask) await this.inbound(contactLocal, this.bareOf(user), 'unsubscribe', new Uint8Array());
    if (hasFrom(old) || old.pendingIn) await this.inbound(contactLocal, this.bareOf(user), 'unsubscribed', new Uint8Array());
  }

  // --- subscriptions (§3) ---

  /** A subscription stanza from the user (to a bare JID). */
  async subscription(type: string, from: From, to: Jid, stanza: Element): Promise<void> {
    const user = from.jid.local;
    const contact = to.bare.toString();
    const step = (fn: (cur: Item | undefined) => Step) =>
      this.d.rosters.updateItem(
        user,
        contact,
        (cur) => {
          const s = fn(cur);
          return { item: s.item, result: s.route };
        },
        { bounded: type === 'subscribe' || type === 'subscribed' },
      );
    const outcome =
      type === 'subscribe'
        ? await step((c) => outboundSubscribe(c, contact))
        : type === 'unsubscribe'
          ? await step(outboundUnsubscribe)
          : type === 'subscribed'
            ? await step((c) => outboundSubscribed(c, contact))
            : await step(outboundUnsubscribed);
    if (outcome.refused) return this.refuse(from, stanza, rosterRefusal(outcome.refused, this.d.rosters.limits, this.d.rejected));
    if (outcome.changed) await this.d.out.push(user, this.d.domain, contact, outcome.item, outcome.version);
    if (!outcome.result || to.domain !== this.d.domain || !to.local) return;
    // §3.1.2: the user's server stamps the bare JID on subscription stanzas.
    const bare = this.bareOf(user);
    // §8.5.1: a subscription request to an account that does not exist is ignored
    // silently (an answer would tell anyone which accounts exist).
    if (type === 'subscribe' && this.d.userExists && !(await this.d.userExists(to.local))) return;
    let out = x('presence', { ...stanza.attrs, from: bare, to: contact, type });
    for (const c of stanza.children) out.cnode(c);
    if (type === 'subscribe') out = boundedSubscribe(out, this.d.rosters.limits);
    await this.inbound(to.local, bare, type, new TextEncoder().encode(out.toString()));
    if (type === 'subscribed') await this.sendAllPresence(user, contact);
    if (type === 'unsubscribed') await this.sendUnavailable(user, contact);
  }

  /** The contact's side of a subscription stanza from `fromBare`. */
  private async inbound(contact: string, fromBare: string, type: string, stanza: Uint8Array): Promise<void> {
    const contactBare = this.bareOf(contact);
    if (type === 'subscribe') {
      const r = await this.d.rosters.updateItem(
        contact,
        fromBare,
        (cur) => {
          const s = inboundSubscribe(cur, fromBare, stanza);
          return { item: s.item, result: s.kind };
        },
        { bounded: true },
      );
      // The contact's roster or pending requests are at their bound: dropped silently (RFC 6121 §3.1.3 lets the server not deliver it).
      if (r.refused) return void this.d.rejected?.('subscription-request');
      if (r.changed) await this.d.out.push(contact, this.d.domain, fromBare, r.item, r.version);
      if (r.result === 'auto-approve') {
        // §3.1.3: already approved: answer for the contact, then send the contact's presence.
        const fromLocal = fromBare.slice(0, fromBare.indexOf('@'));
        await this.inbound(fromLocal, contactBare, 'subscribed', new Uint8Array());
        return this.sendAllPresence(contact, fromBare);
      }
      const targets = this.d.out.available(await this.d.out.sessions(contactBare));
      return this.d.out.send(contactBare, targets, parseOr(stanza, x('presence', { from: fromBare, to: contactBare, type })));
    }
    const fn = type === 'unsubscribe' ? inboundUnsubscribe : type === 'subscribed' ? inboundSubscribed : inboundUnsubscribed;
    const r = await this.d.rosters.updateItem(contact, fromBare, (cur) => {
      const s = fn(cur);
      return { item: s.item, result: s.route };
    });
    if (r.changed) await this.d.out.push(contact, this.d.domain, fromBare, r.item, r.version);
    if (!r.result) return;
    await this.d.out.presenceTo(contactBare, fromBare, type);
    if (type === 'unsubscribe') await this.sendUnavailable(contact, fromBare);
  }

  /** An error presence for a subscription stanza the user's roster bound refused, to the sending session. */
  private async refuse(from: From, stanza: Element, err: StanzaError): Promise<void> {
    const bare = from.jid.bare.toString();
    const me = (await this.d.out.sessions(bare)).filter((s) => s.connectionId === from.connectionId);
    this.d.out.send(bare, me, errorReply(stanza, err));
  }

  /**
   * The account is removed (XEP-0077 §3.2, as ejabberd and Prosody do): each
   * contact on this server is told as if the user had cancelled both ways
   * (unsubscribe where the user was subscribed or asking, unsubscribed where
   * the contact was or asked), so no roster keeps a subscription with the
   * account, and those who saw its presence see it unavailable.
   */
  async removeUser(user: string): Promise<void> {
    const bare = this.bareOf(user);
    for (const item of (await this.d.rosters.get(user)).items) {
      const j = tryParseJid(item.jid);
      if (!j || j.domain !== this.d.domain || !j.local || j.local === user) continue;
      if (hasFrom(item)) await this.d.out.presenceTo(item.jid, bare, 'unavailable');
      await this.cancelBoth(user, j.local, item);
    }
  }

  /** A push (e.g. XEP-0191) to every session of the user. */
  async pushAll(user: string, iq: Element): Promise<void> {
    const bare = this.bareOf(user);
    this.d.out.send(bare, await this.d.out.sessions(bare), iq, StanzaKind.STANZA_KIND_IQ, true);
  }

  /**
   * XEP-0191 §3.3–3.4: after the user blocked `jid`, each side sees the
   * other's available resources go unavailable where it received their
   * presence (nothing passes either way from now on); after an unblock, each
   * side's current presence goes to the other again, as subscribed.
   */
  async blockChanged(user: string, jid: string, blocked: boolean): Promise<void> {
    const j = tryParseJid(jid);
    if (!j || j.domain !== this.d.domain || !j.local) return;
    const item = (await this.d.rosters.get(user)).items.find((i) => i.jid === j.bare.toString());
    if (!item) return;
    const send = (from: string, toBare: string) => (blocked ? this.sendUnavailable(from, toBare) : this.sendAllPresence(from, toBare));
    if (hasFrom(item)) await send(user, j.bare.toString());
    if (hasTo(item)) await send(j.local, this.bareOf(user));
  }

  /** Every available resource of `user` sends its last presence to `toBare` (after approval, §3.1.5). */
  private async sendAllPresence(user: string, toBare: string): Promise<void> {
    if (this.isBlocked(user, toBare)) return;
    const mine = this.d.out.available(await this.d.out.sessions(this.bareOf(user)));
    const targets = this.d.out.available(await this.d.out.sessions(toBare));
    for (const s of mine) this.d.out.send(toBare, targets, lastPresence(this.bareOf(user), s), StanzaKind.STANZA_KIND_PRESENCE, true);
    if (this.d.hooks) await this.d.hooks.fire('presence-allowed', { user, toBare });
  }

  /** Unavailable from each of `user`'s available resources to `toBare` (§3.2.3, §3.3.3). */
  private async sendUnavailable(user: string, toBare: string): Promise<void> {
    const mine = this.d.out.available(await this.d.out.sessions(this.bareOf(user)));
    const targets = this.d.out.available(await this.d.out.sessions(toBare));
    for (const s of mine)
      this.d.out.send(
        toBare,
        targets,
        x('presence', { from: `${this.bareOf(user)}/${s.resource}`, type: 'unavailable' }),
        StanzaKind.STANZA_KIND_PRESENCE,
        true,
      );
  }

  /**
   * XEP-0191: no presence passes between `user` and `jid` when either blocks
   * the other: not the user's broadcasts, probe answers or unavailable to a
   * contact the user blocks, nor those of a contact that blocks the user.
   */
  private isBlocked(user: string, jid: string, me?: Jid): boolean {
    const j = this.d.blocks ? tryParseJid(jid) : null;
    if (!j || !this.d.blocks) return false;
    if (this.d.blocks(user, j)) return true;
    if (j.domain !== this.d.domain || !j.local) return false;
    // Callers going through a roster pass the user's own JID, parsed once.
    const self = me ?? tryParseJid(this.bareOf(user));
    return !!self && this.d.blocks(j.local, self);
  }

  // --- presence (§4) ---

  /** Presence with no 'to' from a session: record it and broadcast it. */
  async broadcast(el: Element, from: From): Promise<void> {
    const type = el.attrs.type;
    if (type !== undefined && type !== 'unavailable') return; // probe/error from a client: ignored
    const available = type === undefined;
    const prio = Number(el.getChildText('priority') ?? '0');
    const priority = Number.isInteger(prio) && prio >= -128 && prio <= 127 ? prio : 0;
    const bytes = new TextEncoder().encode(el.toString());
    const { wasAvailable, directed, tooLarge, revision } = await this.d.updateSession(
      from.jid.toString(),
      from.connectionId,
      available ? { available, priority, presence: bytes } : { available },
    );
    // The account's registry entry would pass MAX_USER_ENTRY_BYTES: not recorded, so not sent either.
    if (tooLarge) return this.refuse(from, el, new StanzaError('resource-constraint', 'this presence is too large to keep for your account', 'wait'));
    if (!available && !wasAvailable) return;
    // Read contacts' entries (broadcast, probes) only from a mirror that has this write, and so every
    // earlier one: of two sessions becoming available at once the later writer sees the other
    // (docs/architecture.md, "Instant messaging and presence"). Usually already there: no wait.
    if (revision) await this.d.out.caughtUp(revision);
    this.d.presenceChanged?.(from.jid.toString(), available, priority, bytes);
    const user = from.jid.local;
    const bare = this.bareOf(user);
    // §4.2.2 / §4.5.2: to the user's own available resources (including this one) and to contacts with from/both.
    const own = (await this.d.out.sessions(bare)).filter((s) => s.available || s.connectionId === from.connectionId);
    this.d.out.send(bare, own, el);
    const roster = await this.d.rosters.get(user);
    const contacts = roster.items.filter(hasFrom).filter((i) => !this.isBlocked(user, i.jid, from.jid.bare));
    for (const item of contacts) this.toContact(item.jid, el);
    if (!available) this.toDirected(user, directed, contacts, el, from.jid.bare);
    if (!available)
      return this.wentUnavailable(
        user,
        el.getChildText('status') ?? '',
        own.filter((s) => s.available && s.connectionId !== from.connectionId),
      );
    if (wasAvailable) return;
    await this.initial(user, from, roster.items);
  }

  private toContact(contact: string, el: Element): void {
    const j = tryParseJid(contact);
    if (!j || j.domain !== this.d.domain) return;
    void this.d.out.sessions(contact).then((ss) => {
      el.attrs.to = contact;
      this.d.out.send(contact, this.d.out.available(ss), el);
    });
  }

  /** Initial presence (§4.2, §4.4, §3.1.3): probes, pending requests, the modules (offline messages), the user's other resources. */
  private async initial(user: string, from: From, items: Item[]): Promise<void> {
    const bare = this.bareOf(user);
    const me = (await this.d.out.sessions(bare)).find((s) => s.connectionId === from.connectionId);
    if (!me) return;
    for (const item of items) {
      if (hasTo(item) && !this.isBlocked(user, item.jid, from.jid.bare)) await this.probe(item.jid, bare, me);
      if (item.pendingIn && !this.isBlocked(user, item.jid, from.jid.bare))
        this.d.out.send(bare, [me], parseOr(item.pendingInStanza, x('presence', { from: item.jid, type: 'subscribe' })));
    }
    if (this.d.hooks) await this.d.hooks.fire('presence-initial', { user, bare, me });
    const others = (await this.d.out.sessions(bare)).filter((s) => s.available && s.connectionId !== from.connectionId);
    for (const s of others) this.d.out.send(bare, [me], lastPresence(bare, s), StanzaKind.STANZA_KIND_PRESENCE, true);
  }

  /** §4.3.2: answer a probe on the contact's behalf with each available resource's last presence, or unavailable. */
  private async probe(contact: string, bare: string, me: SessionEntry): Promise<void> {
    const j = tryParseJid(contact);
    if (!j || j.domain !== this.d.domain || !j.local) return;
    const avail = this.d.out.available(await this.d.out.sessions(contact));
    if (avail.length === 0) return this.d.out.send(bare, [me], x('presence', { from: contact, type: 'unavailable' }), StanzaKind.STANZA_KIND_PRESENCE, true);
    for (const s of avail) this.d.out.send(bare, [me], lastPresence(contact, s), StanzaKind.STANZA_KIND_PRESENCE, true);
  }

  /**
   * A session ended while available (no unavailable sent): tell contacts, own
   * resources and directed-presence recipients (§4.5.2, §4.6.3). The ended
   * session (`connectionId`) is left out of the user's available ones: the
   * registry mirror may not have seen its removal yet.
   */
  async ended(fullJid: string, directed: string[] = [], connectionId?: string, remaining?: SessionEntry[]): Promise<void> {
    const j = tryParseJid(fullJid);
    if (!j || j.domain !== this.d.domain) return;
    const el = x('presence', { from: fullJid, type: 'unavailable' });
    const bare = j.bare.toString();
    // `remaining`: carried by SessionEnded from the registry update itself (no read, and no lag of the mirror).
    const others = this.d.out
      .available(remaining ?? (await this.d.out.sessions(bare)))
      .filter((s) => connectionId === undefined || s.connectionId !== connectionId);
    this.d.out.send(bare, others, el);
    const contacts = (await this.d.rosters.get(j.local)).items.filter(hasFrom).filter((i) => !this.isBlocked(j.local, i.jid, j.bare));
    for (const item of contacts) this.toContact(item.jid, el);
    this.toDirected(j.local, directed, contacts, el, j.bare);
    await this.wentUnavailable(j.local, '', others);
  }

  /** Tell the modules (last activity) that a session went unavailable; `others`: the user's sessions still available, just looked up. */
  private async wentUnavailable(user: string, status: string, others: SessionEntry[]): Promise<void> {
    if (this.d.hooks) await this.d.hooks.fire('presence-unavailable', { user, status, others });
  }

  /** §4.6.2: remember (or forget) who got directed presence from this session; false: refused (too many). */
  async directed(from: From, to: Jid, available: boolean): Promise<boolean> {
    const jid = to.toString();
    const r = await this.d.updateSession(from.jid.toString(), from.connectionId, available ? { directedAdd: jid } : { directedRemove: jid });
    return !r.directedRefused;
  }

  /** Unavailable to directed-presence recipients that are not already told as contacts. */
  private toDirected(user: string, directed: string[], contacts: Item[], el: Element, me: Jid): void {
    const told = new Set(contacts.map((i) => i.jid));
    for (const jid of directed) {
      const j = tryParseJid(jid);
      if (!j || j.domain !== this.d.domain || !j.local || told.has(j.bare.toString()) || this.isBlocked(user, jid, me)) continue;
      const bare = j.bare.toString();
      void this.d.out.sessions(bare).then((ss) => {
        const targets = this.d.out.available(ss).filter((s) => !j.resource || s.resource === j.resource);
        el.attrs.to = jid;
        this.d.out.send(bare, targets, el);
      });
    }
  }
}

/** A session's last available presence as stored, from its full JID. */
function lastPresence(bare: string, s: SessionEntry): Element {
  const p = parseOr(s.presence, x('presence'));
  p.attrs.from = `${bare}/${s.resource}`;
  return p;
}

function parseOr(bytes: Uint8Array | undefined, fallback: Element): Element {
  return (bytes && bytes.length && elementFromBytes(bytes)) || fallback;
}
