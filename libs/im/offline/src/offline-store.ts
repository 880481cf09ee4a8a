// Offline message storage (XEP-0160; RFC 6121 §8.5.2.2) on JetStream: a
// message for a user with no available resource is kept on the user's
// subject and handed over, oldest first, when the user comes back.
//
// peek() reads the user's messages one by one with the stream's message-get
// API (next_by_subj, answered by the stream leader, so a message stored a
// moment ago is seen) and leaves them stored: the router hands each over with
// its sequence, and only once the recipient's edge reports it written to the
// socket or acknowledged by the client (XEP-0198) does remove() delete it
// (docs/architecture.md, "Where data lives"). A crash anywhere in between
// leaves the message stored for the next login: a duplicate at worst, which
// the client drops by id, never a loss.
//
// take() reads and deletes at once (a message is returned only by the caller
// whose delete succeeded): for tools and tests, not for delivery. No consumer
// is created by either.
import type { Bus } from '@cx/bus';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type MsgRequest,
} from '@nats-io/jetstream';
import type { Element } from '@cx/xmpp-core';
import { isParseError, parseElement } from '@cx/xml-stream';
import { serializeWithDelay } from './delay';
import { ensureStream, isApiError, isStoreLimit, limits, OFFLINE_STREAM, offlineSubject } from './stream';
import { OfflineUsage } from './usage';

export interface OfflineOptions {
  /** Most messages kept per user; storing beyond it answers 'full'. */
  limitPerUser: number;
  /** How long a message is kept (default 30 days; 0: until taken). */
  maxAgeMs?: number;
  /** Most bytes kept per user (default: no bound beyond the count); storing beyond it answers 'full'. */
  maxBytesPerUser?: number;
  /** Most bytes the whole stream holds (default 0: no bound); storing beyond it answers 'full'. */
  maxStreamBytes?: number;
}

export type StoreResult = 'stored' | 'full';

const DEFAULT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

export class OfflineStore {
  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly usage?: OfflineUsage,
  ) {}

  /** Create the stream "xmpp_offline" or bind to it, applying these limits. */
  static async open(bus: Bus, opts: OfflineOptions): Promise<OfflineStore> {
    const { limitPerUser, maxAgeMs = DEFAULT_MAX_AGE_MS, maxBytesPerUser, maxStreamBytes = 0 } = opts;
    if (!Number.isInteger(limitPerUser) || limitPerUser < 1) throw new Error(`limitPerUser must be a positive integer, not ${limitPerUser}`);
    if (!Number.isInteger(maxAgeMs) || maxAgeMs < 0) throw new Error(`maxAgeMs must be a non-negative integer, not ${maxAgeMs}`);
    const jsm = await jetstreamManager(bus.nc);
    await ensureStream(jsm, { ...limits(limitPerUser, maxAgeMs, maxStreamBytes), num_replicas: bus.replicas });
    const usage = maxBytesPerUser ? await OfflineUsage.open(bus, { maxBytes: maxBytesPerUser, maxAgeMs }) : undefined;
    return new OfflineStore(jsm, jetstream(bus.nc), usage);
  }

  /**
   * Store a message for a bare JID, stamped with a XEP-0203 delay from
   * `domain` unless it carries one. 'full': the user already has
   * limitPerUser messages or maxBytesPerUser bytes (or the stream is full),
   * and nothing was stored (the server refuses it).
   */
  async store(bareJid: string, message: Element, domain: string): Promise<StoreResult> {
    const subject = offlineSubject(bareJid);
    const payload = new TextEncoder().encode(serializeWithDelay(message, domain));
    const usage = this.usage;
    if (!usage) return this.publish(subject, payload);
    return usage.storing(bareJid, async (written) => {
      if (!(await usage.reserve(bareJid, payload.length, async () => (await this.count(bareJid)) === 0, written))) return 'full';
      return this.publish(subject, payload, () => usage.release(bareJid, payload.length));
    });
  }

  private async publish(subject: string, payload: Uint8Array, undo?: () => Promise<void>): Promise<StoreResult> {
    try {
      await this.js.publish(subject, payload, { expect: { streamName: OFFLINE_STREAM } });
      return 'stored';
    } catch (err) {
      await undo?.();
      if (isStoreLimit(err)) return 'full';
      throw err;
    }
  }

  /**
   * Every stored message of a bare JID with its stream sequence, oldest
   * first, without removing any (none, without a request, when the byte
   * totals show that nothing is stored for the user). If the stream fails half-way, what was read
   * is returned; it throws only when it read nothing.
   */
  async peek(bareJid: string): Promise<StoredMessage[]> {
    // Most users have nothing stored: the byte totals' mirror says so without a request (usage.ts).
    if (this.usage && !this.usage.mayHold(bareJid)) return [];
    const subject = offlineSubject(bareJid);
    const found: StoredMessage[] = [];
    let seq = 0;
    try {
      for (;;) {
        const m = await this.jsm.streams.getMessage(OFFLINE_STREAM, { seq: seq + 1, next_by_subj: subject } as unknown as MsgRequest);
        if (!m) break;
        seq = m.seq;
        const xml = m.string();
        const el = parseElement(xml, { maxBytes: m.data.length });
        if (!isParseError(el)) found.push({ seq, message: el });
      }
    } catch (err) {
      if (found.length === 0) throw err;
    }
    return found;
  }

  /**
   * Delete messages of a bare JID by sequence (they reached the client) and
   * give back their bytes. A sequence that is not this user's is left alone;
   * one already gone counts as removed. Resolves with how many were deleted
   * now; rejects when a delete failed (the caller may try again).
   */
  async remove(bareJid: string, seqs: readonly number[]): Promise<number> {
    const subject = offlineSubject(bareJid);
    const sizes = await Promise.all(seqs.map((seq) => this.sizeIfMine(seq, subject)));
    const mine = seqs.filter((_, i) => sizes[i] !== undefined);
    const results = await Promise.all(mine.map((seq) => this.delete(seq)));
    let freed = 0;
    let removed = 0;
    let failure: unknown;
    results.forEach((r, i) => {
      if (r === 'removed') {
        removed++;
        freed += sizes[seqs.indexOf(mine[i])] ?? 0;
      } else if (r !== 'gone') failure ??= r.error;
    });
    await this.usage?.release(bareJid, freed).catch(() => undefined);
    if (failure !== undefined) throw failure;
    return removed;
  }

  /** The stored size of message `seq` if it is on `subject`; undefined when it is gone or someone else's. */
  private async sizeIfMine(seq: number, subject: string): Promise<number | undefined> {
    try {
      const m = await this.jsm.streams.getMessage(OFFLINE_STREAM, { seq });
      return m && m.subject === subject ? m.data.length : undefined;
    } catch (err) {
      if (isApiError(err, JetStreamApiCodes.NoMessageFound)) return undefined;
      throw err;
    }
  }

  /** Remove every stored message of a bare JID (the account is removed). */
  async purge(bareJid: string): Promise<void> {
    await this.jsm.streams.purge(OFFLINE_STREAM, { filter: offlineSubject(bareJid) });
  }

  /** How many messages are stored for a bare JID. */
  async count(bareJid: string): Promise<number> {
    const subject = offlineSubject(bareJid);
    const info = await this.jsm.streams.info(OFFLINE_STREAM, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** The whole queue: messages stored and users who have some (one stream info request). */
  async totals(): Promise<{ messages: number; users: number }> {
    const { state } = await this.jsm.streams.info(OFFLINE_STREAM);
    return { messages: state.messages, users: state.num_subjects ?? 0 };
  }

  /** Delete one message; never rejects, so a pending delete cannot go unhandled. */
  private async delete(seq: number): Promise<Removal> {
    try {
      return (await this.jsm.streams.deleteMessage(OFFLINE_STREAM, seq)) ? 'removed' : 'gone';
    } catch (err) {
      // A delete racing another for the same message fails with 'no message found' under another code (10057, delete failed).
      return isApiError(err, JetStreamApiCodes.NoMessageFound) || (err instanceof JetStreamApiError && /no message found/i.test(err.message))
        ? 'gone'
        : { error: err };
    }
  }
}

type Removal = 'removed' | 'gone' | { error: unknown };

/** A stored message and its sequence in the stream (what the edge reports back once it reached the client). */
export interface StoredMessage {
  seq: number;
  message: Element;
}
