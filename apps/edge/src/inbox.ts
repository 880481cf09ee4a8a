// Everything addressed to this edge arrives on its own NATS subject: stanzas
// for its sessions and kicks (conflict). A stanza for a connection that is
// gone goes back to the router marked undeliverable (RFC 6121 §8.5.3.2).
// A router's batch carries a reply subject nobody answers: only when no edge
// reads the subject does NATS answer there (503 no responders), and the
// router routes the stanzas again.
import { edgeChannel, type Bus } from '@cx/bus';
import type { Logger } from '@cx/log';
import type { edgev1, routerv1 } from '@cx/proto';
import { undeliverableStanza } from '@cx/sm';
import { StanzaKind } from '@cx/stanza';
import type { StreamErrorCondition } from '@cx/xmpp-core';
import type { Connection } from './connection';
import type { ComponentConnection } from './component/component-connection';
import { deliverySpan } from './tracing';

export interface InboxDeps {
  bus: Bus;
  edgeId: string;
  connections: Map<string, Connection>;
  /** External components' connections (XEP-0114), by id. */
  components?: Map<string, ComponentConnection>;
  bounce(stanza: routerv1.Stanza): void;
  log: Logger;
}

export function startInbox(d: InboxDeps): () => void {
  const each = (m: edgev1.EdgeMessage) => {
    for (const k of m.kicks) {
      const component = d.components?.get(k.connectionId);
      if (component) {
        component.kick(k.condition as StreamErrorCondition, k.text || undefined);
        continue;
      }
      const c = d.connections.get(k.connectionId);
      if (k.resumed) c?.handOver();
      else c?.kick(k.condition as StreamErrorCondition, k.text || undefined);
    }
    for (const del of m.deliveries) {
      const component = d.components?.get(del.connectionId);
      if (component?.established) {
        component.deliver(del.xml);
        continue;
      }
      const c = d.connections.get(del.connectionId);
      if (c && c.established && (del.kind === StanzaKind.STANZA_KIND_UNSPECIFIED || c.jid === del.to)) {
        if (del.traceparent) deliverySpan(del.traceparent, del.kind, del.connectionId, () => c.deliver(del.xml, del.kind, del.offlineSeq));
        else c.deliver(del.xml, del.kind, del.offlineSeq);
      }
      // A stored offline message that found no session is still stored: not routed (and stored) again.
      else bounceBack(del, d);
    }
  };
  return edgeChannel.subscribe(d.bus.nc, d.edgeId, each, { onError: (err) => d.log.error({ err }, 'inbox subscription failed') });
}

/** The target connection is gone: back to the router, routed as undeliverable. */
function bounceBack(del: edgev1.Delivery, d: InboxDeps): void {
  const s = undeliverableStanza(del);
  if (s) d.bounce(s);
}
