// XEP-0198 §5: when a stream-managed session ends (closed, timed out, or
// replaced), the stanzas its client never acknowledged must not vanish. They
// are still in the stream xmpp_sm; each is routed again as undeliverable
// (RFC 6121 §8.5.3.2: a message goes to another resource or offline storage,
// an iq gets an error). Stored offline messages among them (offline_seq) are
// skipped: they are still in xmpp_offline, and the next initial presence
// hands them over again; routing them would store a second copy.
import type { Logger } from '@cx/log';
import type { eventsv1, routerv1, sessionv1 } from '@cx/proto';
import { StanzaKind } from '@cx/stanza';
import { readAfter, undeliverableStanza, unackedFilter, type SmStore } from '@cx/sm';

/** Routers may still publish to the session's old place for a moment after it ended. */
const SETTLE_MS = 1000;

export async function rescueUnacked(ev: eventsv1.SessionEnded, store: SmStore, route: (s: routerv1.Stanza) => void, log: Logger): Promise<void> {
  if (!ev.smId) return;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const state = await store.state(ev.smId);
  if (!state) return;
  const unacked = await collect(store, state);
  await store.dropState(ev.smId);
  if (unacked.length) log.info({ jid: ev.fullJid, count: unacked.length, reason: ev.reason }, 'routing the unacknowledged stanzas of an ended session again');
  for (const u of unacked) {
    const s = undeliverableStanza({ kind: u.kind, to: u.to, xml: u.xml, connectionId: state.connectionId });
    if (s) route(s);
  }
}

async function collect(store: SmStore, state: sessionv1.SmState): Promise<sessionv1.CarriedStanza[]> {
  const out = state.carried.filter((c) => c.kind !== StanzaKind.STANZA_KIND_UNSPECIFIED && !c.offlineSeq);
  const unacked = unackedFilter(state);
  await store.read(state.edgeId, readAfter(state), ({ seq, msg }) => {
    msg.deliveries.forEach((d, i) => {
      if (d.kind !== StanzaKind.STANZA_KIND_UNSPECIFIED && !d.offlineSeq && unacked(seq, i, d)) out.push(d);
    });
  });
  return out;
}
