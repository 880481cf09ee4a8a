// The stanza kinds of RFC 6120 §8 as the generated enum names them
// (routerv1.StanzaKind; edgev1.Delivery.kind carries the same numbers):
// the one vocabulary for "message, presence or iq" across the services.
// UNSPECIFIED marks what is not a client stanza: a nonza, or a reply the
// server addresses to a session itself.
import { routerv1 } from '@cx/proto';

export const StanzaKind = routerv1.StanzaKind;
export type StanzaKind = routerv1.StanzaKind;

const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

/** A presence type of a subscription request or answer (RFC 6121 §3), not of availability. */
export function isSubscription(type: string): boolean {
  return SUBSCRIPTION_TYPES.has(type);
}

/** The kind of a top-level element by its name (UNSPECIFIED for anything but message, presence and iq). */
export function stanzaKind(name: string): StanzaKind {
  switch (name) {
    case 'message':
      return StanzaKind.STANZA_KIND_MESSAGE;
    case 'presence':
      return StanzaKind.STANZA_KIND_PRESENCE;
    case 'iq':
      return StanzaKind.STANZA_KIND_IQ;
    default:
      return StanzaKind.STANZA_KIND_UNSPECIFIED;
  }
}
