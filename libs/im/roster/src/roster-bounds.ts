// Per-user bounds of a roster (issue 9 #9): how many items, how many stored
// bytes, how many pending subscription requests, and how much of a request
// is kept. A roster stays well below NATS's max payload, so it can always be
// written and read back whole. Pure functions; RosterStore applies them.
import { x, type Element } from '@cx/xmpp-core';
import { rosterv1 } from '@cx/proto';

export interface RosterLimits {
  /** Items in one roster (ROSTER_MAX_ITEMS). */
  maxItems: number;
  /** Encoded bytes of one roster (ROSTER_MAX_BYTES). */
  maxBytes: number;
  /** Items with a pending inbound request (SUBSCRIPTION_MAX_PENDING). */
  maxPending: number;
  /** Bytes of <status/> kept in a pending request (SUBSCRIPTION_STATUS_MAX_BYTES). */
  maxStatusBytes: number;
}

export const DEFAULT_ROSTER_LIMITS: RosterLimits = { maxItems: 2000, maxBytes: 512 * 1024, maxPending: 100, maxStatusBytes: 1024 };

/** Which bound a change from `prev` to `next` would break; a change that does not grow past a bound is allowed (limits may have been lowered). */
export type RosterExcess = 'items' | 'bytes' | 'pending';

export function rosterExcess(prev: rosterv1.Roster, next: rosterv1.Roster, limits: RosterLimits): RosterExcess | undefined {
  if (next.items.length > limits.maxItems && next.items.length > prev.items.length) return 'items';
  const pending = (r: rosterv1.Roster) => r.items.reduce((n, i) => n + (i.pendingIn ? 1 : 0), 0);
  const nextPending = pending(next);
  if (nextPending > limits.maxPending && nextPending > pending(prev)) return 'pending';
  if (sizeBound(next) <= limits.maxBytes) return undefined; // the common case: no encoding needed
  const size = rosterv1.Roster.encode(next).finish().length;
  if (size > limits.maxBytes && size > rosterv1.Roster.encode(prev).finish().length) return 'bytes';
  return undefined;
}

/** An upper bound of the encoded size, without encoding: at most 3 UTF-8 bytes per UTF-16 unit, generous field overheads. */
export function sizeBound(r: rosterv1.Roster): number {
  let n = 32;
  for (const i of r.items) {
    n += 48 + 3 * (i.jid.length + i.name.length) + i.pendingInStanza.length;
    for (const g of i.groups) n += 8 + 3 * g.length;
  }
  for (const rm of r.removed) n += 24 + 3 * rm.jid.length;
  return n;
}

const NS_NICK = 'http://jabber.org/protocol/nick';

/** `s` cut to at most `max` UTF-8 bytes, on a character boundary. */
export function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s, 'utf8') <= max) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

/**
 * The subscription request as it is kept until the contact answers, and
 * delivered: its attributes, one <status/> cut to `maxStatusBytes` and a
 * XEP-0172 nickname (cut to 1023 bytes); other payload is not kept.
 */
export function boundedRequest(el: Element, maxStatusBytes: number): Element {
  const out = x('presence', { ...el.attrs });
  const status = el.getChild('status');
  if (status && maxStatusBytes > 0) {
    const text = truncateUtf8(status.getText(), maxStatusBytes);
    if (text) out.cnode(x('status', status.attrs['xml:lang'] ? { 'xml:lang': status.attrs['xml:lang'] } : {}, text));
  }
  const nick = el.getChild('nick', NS_NICK);
  if (nick) out.cnode(x('nick', { xmlns: NS_NICK }, truncateUtf8(nick.getText(), 1023)));
  return out;
}
