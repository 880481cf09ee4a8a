// The EdgeMessages of stream-managed sessions (XEP-0198): published to the
// edge's subject in the JetStream stream xmpp_sm (xmpp.sm.<edge id>), with
// JetStream acks and retries (DurablePublisher), and read back by the edge
// (store.ts). The same message type as the core xmpp.edge.<id> (@cx/bus
// edgeChannel), so routers and the session service build it one way.
import { edgeMessage, KeyedTopic, type EdgeMessageParts, type NatsConnection } from '@cx/bus';
import { edgev1 } from '@cx/proto';
import { DurablePublisher } from '@cx/bus';

export const SM_STREAM = 'xmpp_sm';

export function smSubject(edgeId: string): string {
  return `xmpp.sm.${edgeId}`;
}

/** Encodes and decodes what goes on xmpp.sm.<edge id>. */
export const smChannel = new KeyedTopic<edgev1.EdgeMessage>(edgev1.EdgeMessage, smSubject);

/** Publishes EdgeMessages to the stream, each retried until stored. */
export class SmPublisher {
  private readonly publisher: DurablePublisher;

  constructor(nc: NatsConnection) {
    this.publisher = new DurablePublisher({ nc, stream: SM_STREAM });
  }

  publish(edgeId: string, parts: EdgeMessageParts): void {
    this.publisher.publish(smSubject(edgeId), smChannel.encode(edgeMessage(parts)));
  }

  /** Resolves once everything published before the call is stored; never rejects. */
  durable(): Promise<void> {
    return this.publisher.durable();
  }
}
