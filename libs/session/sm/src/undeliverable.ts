// A delivery that cannot reach its connection (the session is gone, the edge
// is gone, the stream-managed client never acknowledged it) is routed again
// as if its full JID were unavailable (RFC 6121 §8.5.3.2): a message goes to
// another resource or offline storage, an iq gets an error. One conversion,
// used wherever such a delivery is found (edge inbox, router rescue, lost
// core deliveries).
import type { routerv1 } from '@cx/proto';
import { elementFromBytes, routedStanza, StanzaKind } from '@cx/stanza';

export interface Undelivered {
  kind: StanzaKind;
  to: string;
  xml: Uint8Array;
  connectionId: string;
  traceparent?: string;
  /** A stored offline message (its sequence in xmpp_offline): it is still stored, so it is not routed again. */
  offlineSeq?: number;
  /** The routing gave other sessions of the user their own copy. */
  shared?: boolean;
}

/** The stanza to route again, or undefined for what cannot be (a server reply, kind UNSPECIFIED; no 'from'; not XML) or need not be (still in offline storage). */
export function undeliverableStanza(d: Undelivered): routerv1.Stanza | undefined {
  if (d.kind === StanzaKind.STANZA_KIND_UNSPECIFIED || d.offlineSeq) return undefined;
  const el = elementFromBytes(d.xml);
  if (!el?.attrs.from) return undefined;
  return routedStanza(el, {
    from: el.attrs.from,
    to: d.to,
    xml: Buffer.from(d.xml),
    connectionId: d.connectionId,
    undeliverable: true,
    traceparent: d.traceparent,
    shared: !!d.shared,
  });
}
