// Where stream-management state lives outside the edge (XEP-0198 resumption
// on any edge, even after the edge holding the session was killed):
//
// - the JetStream stream xmpp_sm holds every delivery to a stream-managed
//   session, on the subject of the edge that holds it (xmpp.sm.<edge id>),
//   batched per edge like the plain deliveries; the edge reads it with one
//   ordered consumer, so it knows each delivery's stream sequence;
// - the KV bucket xmpp_sm holds, per sm id, the session's counters and the
//   sequence of the last delivery the client acknowledged (SmState).
//
// The unacknowledged stanzas of a session are then: its carried-over ones,
// and its deliveries on that subject after out_seq. Nothing has to be copied
// from a live edge at resumption.
import {
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type MsgRequest,
} from '@nats-io/jetstream';
import { ensureStream, Follower, type Bus, type EdgeMessageParts, type KV } from '@cx/bus';
import { sessionv1, type edgev1 } from '@cx/proto';
import { SM_STREAM, smChannel, smSubject, SmPublisher } from './sm-channel';

export { SM_STREAM, smSubject };
export const SM_BUCKET = 'xmpp_sm';
/** How long a read may go quiet before it checks whether anything is left to read. */
const WATCH_MS = 500;

export interface SmMessage {
  seq: number;
  msg: edgev1.EdgeMessage;
}

export class SmStore {
  private readonly publisher: SmPublisher;

  private constructor(
    readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly kv: KV,
    readonly nc: Bus['nc'],
  ) {
    this.publisher = new SmPublisher(nc);
  }

  /** Open (creating if needed) the stream and the bucket; both keep data for maxAgeMs. */
  static async open(bus: Bus, maxAgeMs: number): Promise<SmStore> {
    const jsm = await jetstreamManager(bus.nc);
    const replicas = bus.replicas;
    const config = {
      name: SM_STREAM,
      subjects: ['xmpp.sm.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: maxAgeMs * 1_000_000,
      num_replicas: replicas,
      duplicate_window: Math.min(120_000, maxAgeMs) * 1_000_000,
    };
    await ensureStream(jsm, config);
    const kv = await bus.bucket(SM_BUCKET, { ttl: maxAgeMs });
    return new SmStore(jetstream(bus.nc), jsm, kv, bus.nc);
  }

  /** Deliveries (or in-acks) for sessions on an edge; stored by the stream (retried until it is), seen at once by the edge. */
  publish(edgeId: string, msg: EdgeMessageParts): void {
    this.publisher.publish(edgeId, msg);
  }

  /** Resolves once everything published before the call is stored; never rejects. */
  durable(): Promise<void> {
    return this.publisher.durable();
  }

  async state(smId: string): Promise<sessionv1.SmState | undefined> {
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(smId)) return undefined;
    const e = await this.kv.get(smId);
    return e && e.operation === 'PUT' && e.value.length ? sessionv1.SmState.decode(e.value) : undefined;
  }

  async saveState(smId: string, s: sessionv1.SmState): Promise<void> {
    await this.kv.put(smId, sessionv1.SmState.encode(s).finish());
  }

  async dropState(smId: string): Promise<void> {
    await this.kv.delete(smId).catch(() => undefined);
  }

  /** Drop an edge's messages below `seq`: nothing before it is needed by any session any more. */
  async purgeBelow(edgeId: string, seq: number): Promise<void> {
    await this.jsm.streams.purge(SM_STREAM, { filter: smSubject(edgeId), seq });
  }

  /** The sequence of the newest message on an edge's subject (0: none). */
  async lastSeq(edgeId: string): Promise<number> {
    const m = await this.jsm.streams.getMessage(SM_STREAM, { last_by_subj: smSubject(edgeId) } as MsgRequest);
    return m?.seq ?? 0;
  }

  /**
   * Read an edge's subject after `afterSeq`: every message up to the newest
   * one at the time of the call goes to `each`, and the promise resolves once
   * they have; messages that arrive later still go to `each` until tailMs
   * has passed (a router may publish to the old place for a moment after a
   * session moved). Returns the sequence of the newest message read.
   */
  async read(edgeId: string, afterSeq: number, each: (m: SmMessage) => void, tailMs = 0): Promise<number> {
    const last = await this.lastSeq(edgeId);
    if (last <= afterSeq && tailMs <= 0) return afterSeq;
    let settled = false;
    let heardAt = Date.now();
    let caughtUp!: () => void;
    const done = new Promise<void>((r) => (caughtUp = () => ((settled = true), r())));
    if (last <= afterSeq) caughtUp();
    const reader = this.follow(
      edgeId,
      afterSeq,
      (m) => {
        heardAt = Date.now();
        each({ seq: m.seq, msg: smChannel.decode(m.data) });
        // pending 0: nothing more is stored for us now (`last` itself may have been purged meanwhile).
        if (m.seq >= last || m.info.pending === 0) caughtUp();
      },
      512,
    );
    void reader.start();
    // The edge purges what no session needs, so the messages up to `last` may
    // be gone before the consumer reaches them: when it goes quiet and nothing
    // is stored after what was read, it has caught up.
    const watchdog = setInterval(() => {
      if (settled || Date.now() - heardAt < WATCH_MS) return;
      this.nextAfter(edgeId, reader.position).then(
        (seq) => seq === 0 && caughtUp(),
        () => undefined,
      );
    }, WATCH_MS);
    await done;
    clearInterval(watchdog);
    const newest = reader.position;
    if (tailMs > 0) setTimeout(() => void reader.stop(), tailMs).unref();
    else await reader.stop();
    return Math.max(newest, afterSeq);
  }

  /** A reader of an edge's subject after `afterSeq` that resumes by itself after a NATS restart (not started). */
  follow(edgeId: string, afterSeq: number, each: (m: JsMsg) => void, maxMessages: number): Follower {
    return new Follower({
      js: this.js,
      nc: this.nc,
      stream: SM_STREAM,
      subject: smSubject(edgeId),
      afterSeq,
      each,
      maxMessages,
      nextAfter: (seq) => this.nextAfter(edgeId, seq),
    });
  }

  /** The sequence of the first message on an edge's subject after `seq` (0: none). */
  async nextAfter(edgeId: string, seq: number): Promise<number> {
    const m = await this.jsm.streams.getMessage(SM_STREAM, { seq: seq + 1, next_by_subj: smSubject(edgeId) } as unknown as MsgRequest);
    return m?.seq ?? 0;
  }
}

/**
 * The edge's reader of its own subject, from the message after `afterSeq`
 * on; it resumes from its position by itself after a NATS restart.
 */
export async function followEdge(store: SmStore, edgeId: string, afterSeq: number, each: (m: SmMessage) => void): Promise<() => Promise<void>> {
  // Each message is a router's batch (up to 256 KiB): keep the read-ahead small.
  const reader = store.follow(edgeId, afterSeq, (m) => each({ seq: m.seq, msg: smChannel.decode(m.data) }), 128);
  await reader.start();
  return () => reader.stop();
}

/** How long the stream and bucket keep data: a detached session's deadline, plus the time to notice a dead edge and a margin. */
export function smRetentionMs(resumeTimeoutS: number): number {
  return (resumeTimeoutS + 600) * 1000;
}
