// Roster items on the wire (RFC 6121 §2.1) and the checks on a roster set
// (§2.3.3, §2.5): one item, a valid JID, no subscription but 'remove',
// no duplicate or empty groups.
import { elements, StanzaError, tryParseJid, x, type Element } from '@cx/xmpp-core';
import { rosterv1 } from '@cx/proto';
import { listed, type Item } from './subscription';

export const NS_ROSTER = 'jabber:iq:roster';
const NAMES: Record<rosterv1.Subscription, string> = { 0: 'none', 1: 'to', 2: 'from', 3: 'both', [-1]: 'none' } as Record<rosterv1.Subscription, string>;

export function itemElement(i: Item): Element {
  return x(
    'item',
    {
      jid: i.jid,
      name: i.name || undefined,
      subscription: NAMES[i.subscription] ?? 'none',
      ask: i.ask ? 'subscribe' : undefined,
      approved: i.approved ? 'true' : undefined,
    },
    ...i.groups.map((g) => x('group', {}, g)),
  );
}

export function rosterQuery(items: readonly Item[], version: number): Element {
  return x('query', { xmlns: NS_ROSTER, ver: String(version) }, ...items.filter(listed).map(itemElement));
}

/**
 * §2.6.3: what changed since `ver` as pushes (oldest first), or undefined when
 * `ver` is not a version this roster can diff from (send the whole roster).
 */
export function changesSince(roster: rosterv1.Roster, ver: string): Array<{ jid: string; item?: Item; version: number }> | undefined {
  if (!/^\d+$/.test(ver)) return undefined;
  const since = Number(ver);
  if (since > roster.version || since < roster.horizon) return undefined;
  const changed = [
    ...roster.items.filter((i) => listed(i) && i.version > since).map((i) => ({ jid: i.jid, item: i as Item | undefined, version: i.version })),
    ...roster.removed.filter((r) => r.version > since).map((r) => ({ jid: r.jid, item: undefined, version: r.version })),
  ];
  return changed.sort((a, b) => a.version - b.version);
}

/** What the user's clients see of an item ('' when it is not in the roster): a change to push only when this changes. */
export function onWire(i: Item | null | undefined): string {
  return i && listed(i) ? itemElement(i).toString() : '';
}

/** A roster push (RFC 6121 §2.1.6) of one item, or its removal. */
export function pushQuery(jid: string, item: Item | undefined, version: number): Element {
  return x('query', { xmlns: NS_ROSTER, ver: String(version) }, item ? itemElement(item) : x('item', { jid, subscription: 'remove' }));
}

export type RosterSet = { kind: 'remove'; jid: string } | { kind: 'update'; jid: string; name: string; groups: string[] };

export function parseRosterSet(query: Element): RosterSet | StanzaError {
  const items = elements(query).filter((e) => e.name === 'item');
  if (items.length !== 1) return new StanzaError('bad-request', 'a roster set carries exactly one item');
  const it = items[0];
  const jid = tryParseJid(it.attrs.jid ?? '');
  if (!jid) return new StanzaError('jid-malformed', 'the item JID is not valid');
  if (jid.resource) return new StanzaError('bad-request', 'roster items are bare JIDs');
  const sub = it.attrs.subscription;
  if (sub === 'remove') return { kind: 'remove', jid: jid.toString() };
  if (sub !== undefined && sub !== 'none' && sub !== '') return new StanzaError('bad-request', "only subscription='remove' may be set");
  const groups = it.getChildren('group').map((g) => g.getText());
  if (groups.some((g) => g === '')) return new StanzaError('not-acceptable', 'empty group name');
  if (new Set(groups).size !== groups.length) return new StanzaError('bad-request', 'duplicate group');
  const name = it.attrs.name ?? '';
  if (name.length > 1023 || groups.some((g) => g.length > 1023)) return new StanzaError('not-acceptable', 'name or group too long');
  return { kind: 'update', jid: jid.toString(), name, groups };
}
