// While this edge's NATS connection is down nothing can be delivered or
// stored, so stanzas are not handed to the router (whose deliveries core NATS
// would drop): the sender gets an error of type wait to try again later
// (RFC 6120 §8.3.2), never silence. Errors and results get no error (§8.3.1);
// presence gets none except subscription requests (RFC 6121 §3.1.1).
import { isSubscription } from '@cx/stanza';
import { errorReply, StanzaError, type Element } from '@cx/xmpp-core';

export const OUTAGE_TEXT = 'the server cannot deliver anything right now; try again later';

/** The error reply to a stanza sent by `jid` during an outage, or undefined when none is due. */
export function outageReply(el: Element, jid: string): Element | undefined {
  const type = el.attrs.type ?? '';
  if (type === 'error' || type === 'result') return undefined;
  if (el.name === 'presence' && !isSubscription(type)) return undefined;
  const reply = errorReply(el, new StanzaError('internal-server-error', OUTAGE_TEXT, 'wait'), el.attrs.to || undefined);
  reply.attrs.to = jid;
  return reply;
}
