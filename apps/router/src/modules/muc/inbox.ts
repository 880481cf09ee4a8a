// Every stanza to a room, and every leave the server decides for one, goes
// through the room's partition of the stream xmpp_muc_in to the router
// replica that owns that partition (@cx/bus OwnedPartitions), which handles
// each room's in stream order. The replica an edge gave the stanza to only
// publishes it (routing goes on at once); the edge's RouteAck, and so the
// client's XEP-0198 <a/>, waits for JetStream's ack (SharedServices.stored),
// so nothing accepted is lost when any replica dies. docs/architecture.md, "Group chat (MUC)".
import type { JsMsg, OwnedPartitions, PartitionWork } from '@cx/bus';
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
  stanza(ev: StanzaIn): void {
    const { s, sender } = ev;
    const op = { $case: 'stanza' as const, value: { stanza: s, edgeId: sender.edgeId, connectionId: sender.connectionId, sm: !!sender.sm, room: ev.to.local } };
    return this.publish(ev.to.local, { op });
  }

  /** Store a leave (the occupant's session ended or went unavailable) for the room's owner. */
  leave(room: string, fullJid: string): void {
    return this.publish(room, { op: { $case: 'leave', value: { room, fullJid } } });
  }

  /** Resolves once everything published before is stored. */
  stored(): Promise<void> {
    return this.partitions.durable();
  }

  private publish(room: string, m: eventsv1.MucInbound): void {
    this.partitions.publish(this.partitions.partitionOf(room), eventsv1.MucInbound.encode(m).finish());
  }
}

/** A stored message as work for the owner replica: a room's messages run in order, other rooms' beside them; decoded once. */
export function inboundWork(m: JsMsg, h: InboxHandlers): PartitionWork {
  const { op } = eventsv1.MucInbound.decode(m.data);
  const key = op?.value.room ?? '';
  if (op?.$case === 'leave') return { key, run: () => h.leave(op.value.room, op.value.fullJid) };
  const idle = { key, run: () => Promise.resolve() };
  if (op?.$case !== 'stanza' || !op.value.stanza) return idle;
  const { stanza: s, edgeId, connectionId, sm } = op.value;
  const from = tryParseJid(s.from);
  const to = tryParseJid(s.to);
  if (!from || !to) return idle;
  return { key, run: () => h.stanza({ s, sender: { edgeId, connectionId, jid: from, sm }, to }) };
}
