// What the router answers when a roster bound (ROSTER_MAX_ITEMS,
// ROSTER_MAX_BYTES, SUBSCRIPTION_MAX_PENDING) refuses a change, and how much
// of a subscription request is kept (SUBSCRIPTION_STATUS_MAX_BYTES).
import { StanzaError, type Element } from '@cx/xmpp-core';
import { boundedRequest, type RosterExcess, type RosterLimits } from '@cx/roster';

/** resource-constraint (the user's storage is full), counted under store="roster". */
export function rosterRefusal(excess: RosterExcess, limits: RosterLimits, rejected?: (store: string) => void): StanzaError {
  rejected?.('roster');
  const text =
    excess === 'items'
      ? `a roster is limited to ${limits.maxItems} items`
      : excess === 'bytes'
        ? `a roster is limited to ${limits.maxBytes} bytes`
        : `at most ${limits.maxPending} pending subscription requests`;
  return new StanzaError('resource-constraint', text);
}

/** The subscribe stanza as it is stored for the contact and delivered: a bounded <status/> and nickname only. */
export function boundedSubscribe(el: Element, limits: RosterLimits): Element {
  return boundedRequest(el, limits.maxStatusBytes);
}
