// The presence-subscription state machine of RFC 6121 §3 and Appendix A, as
// pure functions over one roster item. "Outbound" is what the user's server
// does with a subscription stanza the user sends; "inbound" is what the
// contact's server does when it arrives. Both servers are this one.
//
// A request from someone the user has not added is kept as an item marked
// request-only (§3.1.3: Pending In, no roster item, no push): it becomes a
// roster item only by the user's own action (approving, subscribing back, a
// roster set); when the request goes away (denied, cancelled) so does it.
import { rosterv1 } from '@cx/proto';

export type Item = rosterv1.RosterItem;
const { Subscription: S } = rosterv1;

export function emptyItem(jid: string): Item {
  return {
    jid,
    name: '',
    subscription: S.SUBSCRIPTION_NONE,
    ask: false,
    pendingIn: false,
    pendingInStanza: Buffer.alloc(0),
    approved: false,
    groups: [],
    version: 0,
    requestOnly: false,
  };
}

/** Is the item in the user's roster (listed, pushed, versioned), rather than only a pending request? */
export function listed(i: Item): boolean {
  return !i.requestOnly;
}

/** After the user acted on the contact, the item is in the roster. */
function own(i: Item): Item {
  return i.requestOnly ? { ...i, requestOnly: false } : i;
}

/** A request-only item whose request is gone is removed (null); others stay. */
function settle(i: Item): Item | null {
  return i.requestOnly && !i.pendingIn ? null : i;
}

const hasTo = (i: Item) => i.subscription === S.SUBSCRIPTION_TO || i.subscription === S.SUBSCRIPTION_BOTH;
const hasFrom = (i: Item) => i.subscription === S.SUBSCRIPTION_FROM || i.subscription === S.SUBSCRIPTION_BOTH;
function sub(to: boolean, from: boolean): rosterv1.Subscription {
  return to ? (from ? S.SUBSCRIPTION_BOTH : S.SUBSCRIPTION_TO) : from ? S.SUBSCRIPTION_FROM : S.SUBSCRIPTION_NONE;
}

export { hasFrom, hasTo };

/** The new item (undefined: no change; null: removed), and whether the stanza goes on to the other side. */
export interface Step {
  item?: Item | null;
  route: boolean;
}

/** A.2.1: the user sends subscribe. Pending Out unless already subscribed to; routed in every case. */
export function outboundSubscribe(cur: Item | undefined, jid: string): Step {
  const i = cur ?? emptyItem(jid);
  if (hasTo(i) || i.ask) return { item: cur && listed(cur) ? undefined : own(i), route: true };
  return { item: own({ ...i, ask: true }), route: true };
}

/** A.2.2: the user sends unsubscribe (cancels its subscription to the contact). */
export function outboundUnsubscribe(cur: Item | undefined): Step {
  if (!cur || (!hasTo(cur) && !cur.ask)) return { route: true };
  return { item: { ...cur, ask: false, subscription: sub(false, hasFrom(cur)) }, route: true };
}

/** A.2.3: the user sends subscribed (approves the contact's request, or pre-approves, §3.4). */
export function outboundSubscribed(cur: Item | undefined, jid: string): Step {
  const i = cur ?? emptyItem(jid);
  if (hasFrom(i)) return { route: false };
  if (i.pendingIn)
    return { item: own({ ...i, pendingIn: false, pendingInStanza: Buffer.alloc(0), approved: false, subscription: sub(hasTo(i), true) }), route: true };
  if (i.approved) return { route: false };
  return { item: own({ ...i, approved: true }), route: false };
}

/** A.2.4: the user sends unsubscribed (cancels or denies the contact's subscription). */
export function outboundUnsubscribed(cur: Item | undefined): Step {
  if (!cur || (!hasFrom(cur) && !cur.pendingIn && !cur.approved)) return { route: false };
  return {
    item: settle({ ...cur, pendingIn: false, pendingInStanza: Buffer.alloc(0), approved: false, subscription: sub(hasTo(cur), false) }),
    route: hasFrom(cur) || cur.pendingIn,
  };
}

export type InboundSubscribe =
  | { kind: 'auto-approve'; item?: Item } // answer subscribed on the contact's behalf
  | { kind: 'deliver'; item: Item }; // ask the contact (Pending In)

/** A.3.1: a subscribe arrives for the contact (from someone not in the roster: a request-only item). */
export function inboundSubscribe(cur: Item | undefined, jid: string, stanza: Uint8Array): InboundSubscribe {
  const i = cur ?? { ...emptyItem(jid), requestOnly: true };
  if (hasFrom(i)) return { kind: 'auto-approve' };
  if (i.approved) return { kind: 'auto-approve', item: { ...i, approved: false, subscription: sub(hasTo(i), true) } };
  return { kind: 'deliver', item: { ...i, pendingIn: true, pendingInStanza: Buffer.from(stanza) } };
}

/** A.3.2: an unsubscribe arrives (the sender cancels its subscription to the contact). */
export function inboundUnsubscribe(cur: Item | undefined): Step {
  if (!cur || (!hasFrom(cur) && !cur.pendingIn)) return { route: false };
  return { item: settle({ ...cur, pendingIn: false, pendingInStanza: Buffer.alloc(0), subscription: sub(hasTo(cur), false) }), route: true };
}

/** A.3.3: a subscribed arrives (the contact approved the user's request). */
export function inboundSubscribed(cur: Item | undefined): Step {
  if (!cur || !cur.ask || hasTo(cur)) return { route: false };
  return { item: { ...cur, ask: false, subscription: sub(true, hasFrom(cur)) }, route: true };
}

/** A.3.4: an unsubscribed arrives (the contact cancelled or denied the user's subscription). */
export function inboundUnsubscribed(cur: Item | undefined): Step {
  if (!cur || (!hasTo(cur) && !cur.ask)) return { route: false };
  return { item: { ...cur, ask: false, subscription: sub(false, hasFrom(cur)) }, route: true };
}
