// Typed publishers and subscribers for the protobuf messages the services
// send each other over core NATS, so no call site encodes or decodes by hand:
// the edge messages on xmpp.edge.<edge id> (deliveries, kicks; the same
// EdgeMessage goes to xmpp.sm.<edge id> in JetStream, see @cx/sm), and the
// session events. A subject and its message type are named together once.
import type { Msg, MsgHdrs, NatsConnection, PublishOptions } from '@nats-io/transport-node';
import { edgev1, eventsv1 } from '@cx/proto';
import { subjects } from './subjects';

interface Codec<T> {
  encode(m: T): { finish(): Uint8Array };
  decode(data: Uint8Array): T;
}

export interface SubscribeOptions {
  /** A queue group: one subscriber of the group gets each message. */
  queue?: string;
  /** The subscription failed (permissions, a closed connection). */
  onError(err: Error): void;
}

/** Encodes and decodes one message type. */
class Typed<T> {
  constructor(private readonly codec: Codec<T>) {}

  encode(m: T): Uint8Array {
    return this.codec.encode(m).finish();
  }

  decode(data: Uint8Array): T {
    return this.codec.decode(data);
  }

  protected listen(nc: NatsConnection, subject: string, each: (m: T, headers?: MsgHdrs) => void, o: SubscribeOptions): () => void {
    const sub = nc.subscribe(subject, { queue: o.queue, callback: (err, msg: Msg) => (err ? o.onError(err) : each(this.decode(msg.data), msg.headers)) });
    return () => sub.unsubscribe();
  }
}

/** One subject that carries one message type. */
export class Topic<T> extends Typed<T> {
  constructor(
    codec: Codec<T>,
    readonly subject: string,
  ) {
    super(codec);
  }

  publish(nc: NatsConnection, m: T, opts?: Partial<PublishOptions>): void {
    nc.publish(this.subject, this.encode(m), opts);
  }

  /** each gets the decoded message and the NATS headers (a traceparent); returns the unsubscribe function. */
  subscribe(nc: NatsConnection, each: (m: T, headers?: MsgHdrs) => void, o: SubscribeOptions): () => void {
    return this.listen(nc, this.subject, each, o);
  }
}

/** A family of subjects, one per key (an edge id), that carry one message type. */
export class KeyedTopic<T> extends Typed<T> {
  constructor(
    codec: Codec<T>,
    readonly subject: (key: string) => string,
  ) {
    super(codec);
  }

  publish(nc: NatsConnection, key: string, m: T, opts?: Partial<PublishOptions>): void {
    nc.publish(this.subject(key), this.encode(m), opts);
  }

  subscribe(nc: NatsConnection, key: string, each: (m: T, headers?: MsgHdrs) => void, o: SubscribeOptions): () => void {
    return this.listen(nc, this.subject(key), each, o);
  }
}

/** The parts of an EdgeMessage a sender fills; the others are empty. */
export type EdgeMessageParts = Partial<edgev1.EdgeMessage>;

/** An EdgeMessage from the parts a sender has (deliveries, kicks, in-acks). */
export function edgeMessage(p: EdgeMessageParts): edgev1.EdgeMessage {
  return { deliveries: p.deliveries ?? [], kicks: p.kicks ?? [], inAcks: p.inAcks ?? [] };
}

/** xmpp.edge.<edge id>: deliveries to sessions without stream management, and kicks. */
export const edgeChannel = new KeyedTopic<edgev1.EdgeMessage>(edgev1.EdgeMessage, subjects.edge);

/** Close a connection on its edge (RFC 6120 §4.9 condition); resumed: the session lives on elsewhere (XEP-0198). */
export function kickOnEdge(nc: NatsConnection, edgeId: string, kick: { connectionId: string; condition: string; text: string; resumed?: boolean }): void {
  edgeChannel.publish(nc, edgeId, edgeMessage({ kicks: [{ ...kick, resumed: kick.resumed ?? false }] }));
}

/** The session service's events about sessions. */
export const sessionEvents = {
  bound: new Topic<eventsv1.SessionBound>(eventsv1.SessionBound, subjects.sessionBound),
  ended: new Topic<eventsv1.SessionEnded>(eventsv1.SessionEnded, subjects.sessionEnded),
} as const;

/** The router's event about a session's presence (only with PRESENCE_CHANGED_EVENTS). */
export const presenceEvents = {
  changed: new Topic<eventsv1.PresenceChanged>(eventsv1.PresenceChanged, subjects.presenceChanged),
} as const;
