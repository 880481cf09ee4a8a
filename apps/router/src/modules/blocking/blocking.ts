// XEP-0191 Blocking Command: each user's block list in the KV bucket
// "xmpp_blocklists", mirrored in every router through a KV watch so the check
// on every routed stanza is a memory lookup. Stanzas between a user and a JID
// they block do not pass in either direction (§3.5, §3.6).
import { casUpdate, decodeKey, encodeKey, readVersioned, type Bus, type KV } from '@cx/bus';
import type { Logger } from '@cx/log';
import { NS_BLOCKING } from '@cx/modules';
import { rosterv1 } from '@cx/proto';
import { elements, errorReply, iqResult, StanzaError, tryParseJid, x, type Element, type Jid } from '@cx/xmpp-core';

import { DEFAULT_BLOCKLIST_MAX_ITEMS, maxBlockListBytes, overBound, type BlockListBound } from './blocklist-bound';

export const BLOCKLIST_BUCKET = 'xmpp_blocklists';
const codec = { decode: (b: Uint8Array) => rosterv1.BlockList.decode(b), encode: (v: rosterv1.BlockList) => rosterv1.BlockList.encode(v).finish() };

export class Blocking {
  private readonly lists = new Map<string, Set<string>>();

  private constructor(
    private readonly kv: KV,
    private readonly bound: BlockListBound,
  ) {}

  static async open(bus: Bus, log: Logger, bound: BlockListBound = { maxItems: DEFAULT_BLOCKLIST_MAX_ITEMS }): Promise<Blocking> {
    // A JID is at most 3071 bytes: the value bound follows from the item bound.
    const b = new Blocking(await bus.bucket(BLOCKLIST_BUCKET, { maxValueSize: maxBlockListBytes(bound.maxItems) }), bound);
    const w = await b.kv.watch({ key: '>' });
    void (async () => {
      for await (const e of w) {
        const user = decodeKey(e.key);
        if (e.operation === 'PUT' && e.value.length) b.lists.set(user, new Set(rosterv1.BlockList.decode(e.value).jids));
        else b.lists.delete(user);
      }
    })().catch((err) => log.error({ err }, 'block list watch ended'));
    return b;
  }

  /** Does `user` (a local part) block `other` (by full JID, bare JID or domain)? */
  blocks(user: string, other: Jid): boolean {
    const l = this.lists.get(user);
    return !!l && (l.has(other.toString()) || l.has(other.bare.toString()) || l.has(other.domain));
  }

  /** The account is removed: its block list goes. */
  async removeUser(user: string): Promise<void> {
    await this.kv.purge(encodeKey(user));
    this.lists.delete(user);
  }

  async list(user: string): Promise<string[]> {
    return (await readVersioned(this.kv, encodeKey(user), codec)).value?.jids ?? [];
  }

  /** Change the list; null when it would grow past the bound, else the JIDs that were on it and no longer are. */
  private async change(user: string, fn: (cur: string[]) => string[]): Promise<string[] | null> {
    const r = await casUpdate(this.kv, encodeKey(user), codec, (cur) => {
      const before = cur?.jids ?? [];
      const next = { jids: fn(before) };
      if (overBound(before, next.jids, this.bound.maxItems)) return { next: undefined, result: null };
      return { next, result: { jids: next.jids, dropped: before.filter((j) => !next.jids.includes(j)) } };
    });
    if (!r) return null;
    this.lists.set(user, new Set(r.jids));
    return r.dropped;
  }

  /**
   * An iq from the user: get the list, block or unblock. Returns the reply and,
   * for a change, the push for the user's resources and the JIDs newly blocked
   * or unblocked.
   */
  async iq(user: string, iq: Element, payload: Element): Promise<{ reply: Element; push?: Element; blocked?: string[]; unblocked?: string[] }> {
    if (iq.attrs.type === 'get') {
      if (payload.name !== 'blocklist') return { reply: errorReply(iq, new StanzaError('bad-request')) };
      const jids = await this.list(user);
      return { reply: iqResult(iq, x('blocklist', { xmlns: NS_BLOCKING }, ...jids.map((j) => x('item', { jid: j })))) };
    }
    if (payload.name !== 'block' && payload.name !== 'unblock') return { reply: errorReply(iq, new StanzaError('bad-request')) };
    const raw = elements(payload)
      .filter((e) => e.name === 'item')
      .map((e) => e.attrs.jid ?? '');
    const jids = raw.map((j) => tryParseJid(j)?.toString());
    if (jids.some((j) => !j)) return { reply: errorReply(iq, new StanzaError('jid-malformed')) };
    if (payload.name === 'block' && jids.length === 0) return { reply: errorReply(iq, new StanzaError('bad-request', 'block at least one JID')) };
    const set = jids as string[];
    const push = x(
      'iq',
      { type: 'set', id: `block-${Date.now().toString(36)}` },
      x(payload.name, { xmlns: NS_BLOCKING }, ...set.map((j) => x('item', { jid: j }))),
    );
    if (payload.name === 'block') {
      if ((await this.change(user, (cur) => [...new Set([...cur, ...set])])) === null) {
        this.bound.rejected?.('blocklist');
        return { reply: errorReply(iq, new StanzaError('resource-constraint', `a block list is limited to ${this.bound.maxItems} JIDs`)) };
      }
      return { reply: iqResult(iq), push, blocked: set };
    }
    const unblocked = (await this.change(user, (cur) => (set.length === 0 ? [] : cur.filter((j) => !set.includes(j))))) ?? [];
    return { reply: iqResult(iq), push, unblocked };
  }
}

/** §3.6: what the user's server answers when the user writes to a JID they block. */
export function blockedReply(el: Element): Element {
  const reply = errorReply(el, new StanzaError('not-acceptable'));
  reply.getChild('error')?.cnode(x('blocked', { xmlns: 'urn:xmpp:blocking:errors' }));
  return reply;
}
