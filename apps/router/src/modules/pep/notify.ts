// XEP-0163 §4 notifications: an event goes to the owner's own resources and
// to each contact resource the access model allows whose caps (XEP-0115)
// say `<node>+notify` (filtered notifications, §4.3), and to explicit
// subscribers (XEP-0060 §6.1), each full JID once, as a headline message
// from the owner's bare JID.
import { hasFrom, type Item, type Roster } from '@cx/roster';
import { NS_PUBSUB_EVENT, capsOfBytes, type CapsCache, type NodeConfig, type StoredItem } from '@cx/pubsub';
import { StanzaKind } from '@cx/stanza';
import type { SessionEntry } from '@cx/session-directory';
import { NS, tryParseJid, x, type Element, type Jid } from '@cx/xmpp-core';
import { elementFromBytes } from '@cx/stanza';
import type { Out } from '../../im/presence-out';
import { allowedBy } from './access';
import { countNotifications } from './metrics';

export interface NotifyDeps {
  domain: string;
  out: Out;
  caps: CapsCache;
  roster(user: string): Promise<Roster>;
  /** A contact's sessions from the registry mirror (no read of the bucket for each contact that is offline). */
  mirrored(bare: string): SessionEntry[];
  /** XEP-0191: does the owner block this JID (nothing goes to it)? */
  blocks?(owner: string, jid: Jid): boolean;
}

export interface Target {
  bare: string;
  session: SessionEntry;
}

let ids = 0;

/** Does this session's presence say it wants `node` events (caps `<node>+notify`)? */
export async function wantsNotify(caps: CapsCache, s: SessionEntry, node: string): Promise<boolean> {
  const c = capsOfBytes(s.presence);
  if (!c) return false;
  const f = caps.cached(c) ?? (await caps.features(c));
  return !!f?.has(`${node}+notify`);
}

/** The sessions an event of `owner`'s `node` goes to. */
export async function recipients(d: NotifyDeps, owner: string, node: string, config: NodeConfig, subs: readonly string[]): Promise<Target[]> {
  const ownerBare = `${owner}@${d.domain}`;
  const out = new Map<string, Target>();
  const add = (bare: string, s: SessionEntry) => out.set(`${bare}/${s.resource}`, { bare, session: s });
  const byCaps = async (bare: string, sessions: SessionEntry[]) => {
    for (const s of d.out.available(sessions)) if (await wantsNotify(d.caps, s, node)) add(bare, s);
  };
  await byCaps(ownerBare, await d.out.sessions(ownerBare));
  const roster = await d.roster(owner);
  const items = new Map<string, Item>(roster.items.map((i) => [i.jid, i]));
  if (config.accessModel !== 'whitelist') {
    const contacts = roster.items.filter((i) => hasFrom(i) && allowedBy(config, i) && local(i.jid, d.domain) && !blocked(d, owner, i.jid));
    await Promise.all(contacts.map((i) => byCaps(i.jid, d.mirrored(i.jid))));
  }
  for (const sub of subs) {
    const j = tryParseJid(sub);
    if (!j || j.domain !== d.domain || !j.local || d.blocks?.(owner, j)) continue;
    const bare = j.bare.toString();
    if (bare !== ownerBare && !allowedBy(config, items.get(bare))) continue;
    for (const s of d.out.available(await d.out.sessions(bare))) if (!j.resource || s.resource === j.resource) add(bare, s);
  }
  return [...out.values()];
}

function blocked(d: NotifyDeps, owner: string, jid: string): boolean {
  const j = d.blocks && tryParseJid(jid);
  return !!j && d.blocks!(owner, j);
}

function local(jid: string, domain: string): boolean {
  const j = tryParseJid(jid);
  return !!j && j.domain === domain && !!j.local;
}

/** `<item id>payload</item>` of an event or an items result (payload left out when deliver_payloads is off). */
export function itemElement(item: StoredItem, payloads = true): Element {
  const el = x('item', { id: item.id });
  if (payloads) {
    const p = elementFromBytes(Buffer.from(item.xml, 'utf8'));
    if (p) el.cnode(p);
  }
  return el;
}

/** The headline message carrying an event's `<items>`, `<delete>` or `<purge>`. */
export function eventMessage(from: string, what: Element, publishedAt?: number): Element {
  return x(
    'message',
    { from, type: 'headline', id: `pep${Date.now().toString(36)}${(++ids).toString(36)}` },
    x('event', { xmlns: NS_PUBSUB_EVENT }, what),
    // XEP-0060 §6.1.7: a last published item says when it was published (XEP-0203).
    publishedAt === undefined ? null : x('delay', { xmlns: NS.DELAY, from, stamp: new Date(publishedAt).toISOString() }),
  );
}

/** Send one event to each target. */
export function sendEvent(out: Out, from: string, what: Element, targets: readonly Target[], publishedAt?: number): void {
  for (const t of targets) {
    out.send(t.bare, [t.session], eventMessage(from, what, publishedAt), StanzaKind.STANZA_KIND_MESSAGE, true);
  }
  countNotifications(targets.length);
}
