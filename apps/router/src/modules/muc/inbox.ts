// Every stanza to a room, and every leave the server decides for one, goes
// through the room's partition of the stream xmpp_muc_in to the router
// replica that owns that partition (@cx/bus OwnedPartitions), which handles
// them one at a time in stream order. The replica an edge gave the stanza to
// only publishes it and waits for JetStream's ack: the edge's RouteAck, and
// so the client's XEP-0198 <a/>, come after the stanza is stored, so nothing
// accepted is lost when any replica dies. docs/architecture.md, "Group chat (MUC)".
import type { JsMsg, OwnedPartitions } from '@cx/bus';
import { eventsv1 } from '@cx/proto';
import { tryParseJid } from '@cx/xmpp-core';
import type { StanzaIn } from '../module';

export interface InboxHandlers {
  stanza(ev: StanzaIn): Promise<void>;
  leave(room: string, fullJid: string): Promise<void>;
}

export class RoomInbox {
  constructor(private readonly partitions: OwnedPartitions) {}

  /** Store a client's stanza for its room's owner (the room is `ev.to.local`). */
  stanza(ev: StanzaIn): Promise<void> {
    const { s, sender } = ev;
    const op = { $case: 'stanza' as const, value: { stanza: s, edgeId: sender.edgeId, connectionId: sender.connectionId, sm: !!sender.sm, room: ev.to.local } };
    return this.publish(ev.to.local, { op });
  }

  /** Store a leave (the occupant's session ended or went unavailable) for the room's owner. */
  leave(room: string, fullJid: string): Promise<void> {
    return this.publish(room, { op: { $case: 'leave', value: { room, fullJid } } });
  }

  private publish(room: string, m: eventsv1.MucInbound): Promise<void> {
    return this.partitions.publish(this.partitions.partitionOf(room), eventsv1.MucInbound.encode(m).finish());
  }
}

/** The room a stored message is for: its messages are handled in order, other rooms' beside them. */
export function roomOf(m: JsMsg): string {
  const { op } = eventsv1.MucInbound.decode(m.data);
  if (op?.$case === 'leave') return op.value.room;
  return op?.value.room ?? '';
}

/** Handle one stored message (on the owner replica). */
export function handleInbound(m: JsMsg, h: InboxHandlers): Promise<void> {
  const { op } = eventsv1.MucInbound.decode(m.data);
  if (op?.$case === 'leave') return h.leave(op.value.room, op.value.fullJid);
  if (op?.$case !== 'stanza' || !op.value.stanza) return Promise.resolve();
  const { stanza: s, edgeId, connectionId, sm } = op.value;
  const from = tryParseJid(s.from);
  const to = tryParseJid(s.to);
  if (!from || !to) return Promise.resolve();
  return h.stanza({ s, sender: { edgeId, connectionId, jid: from, sm }, to });
}
