// XEP-0203 §3 (and XEP-0160 §3): a stored message is delivered with
// <delay xmlns='urn:xmpp:delay' from='<server>' stamp='<UTC, XEP-0082>'/>
// saying when the server received it.
import { elements, x, type Element } from '@cx/xmpp-core';
import { OFFLINE_NS } from './ns';

export function hasDelay(message: Element): boolean {
  return elements(message).some((c) => c.getName() === 'delay' && c.getNS() === OFFLINE_NS.DELAY);
}

/**
 * The message serialized with a delay stamp appended, unless it already has
 * one (a message delayed before, whose original stamp is the one that
 * matters). The given element is left as it is.
 */
export function serializeWithDelay(message: Element, domain: string, now: Date = new Date()): string {
  if (hasDelay(message)) return message.toString();
  const copy = x(message.name, message.attrs);
  copy.children = [...message.children, x('delay', { xmlns: OFFLINE_NS.DELAY, from: domain, stamp: now.toISOString() })];
  return copy.toString();
}
