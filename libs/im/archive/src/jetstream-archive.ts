// The archive on one JetStream stream, xmpp_mam: one subject per archive
// (xmpp.mam.<encodeKey(bare JID)>), file storage, max_age = retention,
// max_msgs_per_subject = the per-user quota (the oldest go first).
//
// Each entry is its metadata lines and the message (entry.ts): its id, the
// previous entry's sequence, the other party, the skip table (peers.ts).
//
// Ids (the XEP-0359 stanza-id) are given before the append,
// so routing never waits for JetStream: "<floor>-<node><n>", where floor is
// the highest stream sequence this process has seen acknowledged (a lower
// bound of the entry's own sequence: it is stored later) and node and n make
// it unique across replicas. An id is found again from its floor: the first
// entries of the archive after it (next_by_subj), a few at most, since only
// appends in flight at the same moment come between.
//
// Paging both ways costs the same: forward is the message-get API's
// next_by_subj on the archive's literal subject from a sequence; backward
// follows a chain, each entry carrying the sequence of the archive's entry
// before it (its prev). The chain cannot fork when two routers
// append to one archive at once: every append is published with
// Nats-Expected-Last-Subject-Sequence = the prev it carries (publisher.ts), so JetStream
// refuses the second (wrong last sequence) and it is retried on the new head.
// An entry removed by retention or the quota ends the chain where the archive
// ends anyway (both remove the oldest). Every read is answered by the stream
// leader, so a query sees every append already acknowledged.
// docs/architecture.md, "Message history (MAM)".
import { encodeKey, type Bus } from '@cx/bus';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type MsgRequest,
  type StreamConfig,
} from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import type { Archive, ArchivedMessage, ArchivePage, ArchiveQuery } from './archive';
import { decodeEntry, encodeEntry } from './entry';
import { InFlight } from './in-flight';
import { jumpFor, peerKey, successorTable } from './peers';
import { AckedPublisher, PublishError } from './publisher';

export const MAM_STREAM = 'xmpp_mam';
export const MAM_SUBJECTS = 'xmpp.mam.>';

/** The subject of one archive (a bare JID). */
export function archiveSubject(bareJid: string): string {
  if (!bareJid) throw new Error('an archive needs a bare JID');
  return `xmpp.mam.${encodeKey(bareJid)}`;
}

/** Entries looked at after an id's floor before it counts as unknown (appends in flight for one user at once). */
const FIND_SCAN = 256;
/** Appends queued for one archive before the caller is asked to wait (backlog()). */
const MAX_QUEUED = 64;
/** "wrong last sequence": another router appended first. */
const WRONG_LAST = 10071;

/** What the next append to an archive needs of its last entry. */
interface Head {
  seq: number;
  key: string;
  table: string;
}

/** An entry as read back. */
interface Entry {
  seq: number;
  subject: string;
  time: number;
  id: string;
  prev: number;
  with: string;
  table: string;
  xml: string;
}

export interface JetStreamArchiveOptions {
  /** Most messages kept per archive; beyond, the oldest are dropped (0: no bound). */
  maxPerUser: number;
  /** How long a message is kept (0: for ever). */
  retentionMs: number;
  /** Largest archived message in bytes (bigger ones are not archived). */
  maxMessageBytes: number;
  /** Most bytes of the whole stream (0: no bound; the oldest go first). */
  maxStreamBytes?: number;
  /** Archive heads remembered (saves a read per append). */
  headCache?: number;
}

export class JetStreamArchive implements Archive {
  /** Per archive: its last entry as this process last appended or read it. */
  private readonly heads = new Map<string, Head | undefined>();
  /** Per archive: the last append queued, so one process never races itself, and how many are queued. */
  private readonly appending = new Map<string, { tail: Promise<unknown>; queued: number }>();
  /** Appends not yet acknowledged (settled() waits for them). */
  private readonly pending = new InFlight();
  /** The highest sequence seen acknowledged: every id given now has a larger one. */
  private floor = 0;
  private readonly node = randomBytes(4).toString('hex');
  private counter = 0;

  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly pub: AckedPublisher,
    private readonly opts: JetStreamArchiveOptions,
  ) {}

  static async open(bus: Bus, opts: JetStreamArchiveOptions): Promise<JetStreamArchive> {
    const jsm = await jetstreamManager(bus.nc);
    await ensure(jsm, { ...limits(opts), num_replicas: bus.replicas });
    const archive = new JetStreamArchive(jsm, new AckedPublisher(bus.nc), opts);
    archive.floor = (await jsm.streams.info(MAM_STREAM)).state.last_seq;
    return archive;
  }

  nextId(): string {
    return `${this.floor.toString(36)}-${this.node}${(++this.counter).toString(36)}`;
  }

  append(user: string, entry: { id: string; with: string; xml: string }): Promise<void> {
    const q = this.appending.get(user);
    const next = q
      ? q.tail.then(
          () => this.publish(user, entry),
          () => this.publish(user, entry),
        )
      : this.publish(user, entry);
    const slot = q ?? { tail: next, queued: 0 };
    slot.tail = next;
    slot.queued++;
    this.appending.set(user, slot);
    this.pending.track(next);
    const forget = () => {
      if (--slot.queued === 0 && this.appending.get(user) === slot) this.appending.delete(user);
    };
    next.then(forget, forget);
    return next;
  }

  backlog(user: string): Promise<void> | undefined {
    const q = this.appending.get(user);
    if (!q || q.queued <= MAX_QUEUED) return undefined;
    return q.tail.then(
      () => undefined,
      () => undefined,
    );
  }

  settled(): Promise<void> {
    return this.pending.settled();
  }

  private async publish(user: string, entry: { id: string; with: string; xml: string }): Promise<void> {
    const subject = archiveSubject(user);
    let prev = this.heads.has(user) ? this.heads.get(user) : await this.head(subject);
    for (let attempt = 0; ; attempt++) {
      const table = successorTable(prev);
      const data = encodeEntry({ id: entry.id, prev: prev?.seq ?? 0, with: entry.with, table }, entry.xml);
      try {
        const seq = await this.pub.publish(subject, data, { msgId: entry.id, lastSubjectSeq: prev?.seq ?? 0 });
        this.remember(user, { seq, key: peerKey(entry.with), table });
        if (seq > this.floor) this.floor = seq;
        return;
      } catch (err) {
        this.heads.delete(user);
        if (attempt >= 8 || !(err instanceof PublishError)) throw err;
        // Another router appended (or the archive was purged), or no answer came: chain onto the head as it is now.
        if (err.errCode !== WRONG_LAST && attempt >= 2) throw err;
        prev = await this.head(subject);
      }
    }
  }

  private remember(user: string, head: Head): void {
    this.heads.delete(user);
    this.heads.set(user, head);
    if (this.heads.size > (this.opts.headCache ?? 100_000)) this.heads.delete(this.heads.keys().next().value as string);
  }

  /** The archive's last entry (undefined: empty). */
  private async head(subject: string): Promise<Head | undefined> {
    const m = await this.get({ last_by_subj: subject });
    return m && { seq: m.seq, key: peerKey(m.with), table: m.table };
  }

  async query(user: string, q: ArchiveQuery): Promise<ArchivePage | 'item-not-found'> {
    const subject = archiveSubject(user);
    const match = matcher(q);
    if (q.before !== undefined) {
      let from: Entry | undefined;
      if (q.before === '') from = await this.get({ last_by_subj: subject });
      else {
        const at = await this.mine(subject, q.before);
        if (!at) return 'item-not-found';
        from = await this.prev(subject, at);
      }
      return this.backward(subject, from, q, match);
    }
    if (q.after !== undefined) {
      const at = await this.mine(subject, q.after);
      if (!at) return 'item-not-found';
      if (q.with) return this.forwardWith(subject, at.seq, q, match);
      return this.forward(subject, await this.next(subject, at.seq), q, match);
    }
    if (q.with) return this.forwardWith(subject, 0, q, match);
    if (q.start !== undefined) return this.forward(subject, await this.firstSince(subject, q.start), q, match);
    return this.forward(subject, await this.next(subject, 0), q, match);
  }

  /** Oldest first from `from`: max matching entries, and whether none is left after them. */
  private async forward(subject: string, from: Entry | undefined, q: ArchiveQuery, match: Match): Promise<ArchivePage> {
    const items: ArchivedMessage[] = [];
    for (let m = from; m; m = await this.next(subject, m.seq)) {
      if (q.end !== undefined && m.time > q.end) return { items, complete: true };
      if (!match(m) || (q.start !== undefined && m.time < q.start)) continue;
      if (items.length === q.max) return { items, complete: false };
      items.push(entryOf(m));
    }
    return { items, complete: true };
  }

  /**
   * A with-filtered page forwards after sequence `after`: a peer's messages
   * may be dense (a forward scan finds a page in a few steps) or sparse (the
   * skip table finds all of them after `after` in a few jumps back from the
   * head), so both run a step at a time and the first to finish answers: the
   * cost is twice the cheaper of the two.
   */
  private async forwardWith(subject: string, after: number, q: ArchiveQuery, match: Match): Promise<ArchivePage> {
    const key = peerKey(q.with ?? '');
    const inTime = (m: Entry) => (q.start === undefined || m.time >= q.start) && (q.end === undefined || m.time <= q.end);
    const found: Entry[] = [];
    const back: Entry[] = [];
    let f = await this.next(subject, after);
    let b = await this.get({ last_by_subj: subject });
    const page = (ms: Entry[], complete: boolean): ArchivePage => ({ items: ms.slice(0, q.max).map(entryOf), complete: complete && ms.length <= q.max });
    for (;;) {
      if (!f || (q.end !== undefined && f.time > q.end)) return page(found, true);
      if (match(f) && inTime(f)) found.push(f);
      if (found.length > q.max) return page(found, false);
      f = await this.next(subject, f.seq);
      if (!b || b.seq <= after || (q.start !== undefined && b.time < q.start)) return page(back.reverse(), true);
      if (match(b) && inTime(b)) back.push(b);
      b = await this.prevOf(subject, b, key);
    }
  }

  /** Newest first from `from` down the chain, returned oldest first. */
  private async backward(subject: string, from: Entry | undefined, q: ArchiveQuery, match: Match): Promise<ArchivePage> {
    const items: ArchivedMessage[] = [];
    const key = q.with ? peerKey(q.with) : undefined;
    for (let m = from; m; m = key ? await this.prevOf(subject, m, key) : await this.prev(subject, m)) {
      if (q.start !== undefined && m.time < q.start) return { items: items.reverse(), complete: true };
      if (!match(m) || (q.end !== undefined && m.time > q.end)) continue;
      if (items.length === q.max) return { items: items.reverse(), complete: false };
      items.push(entryOf(m));
    }
    return { items: items.reverse(), complete: true };
  }

  /** The first entry at or after `start`: down the chain from the head (a catch-up's cost is what it catches up on). */
  private async firstSince(subject: string, start: number): Promise<Entry | undefined> {
    let first: Entry | undefined;
    for (let m = await this.get({ last_by_subj: subject }); m && m.time >= start; m = await this.prev(subject, m)) first = m;
    return first;
  }

  private next(subject: string, seq: number): Promise<Entry | undefined> {
    return this.get({ seq: seq + 1, next_by_subj: subject });
  }

  private async prev(subject: string, m: Entry): Promise<Entry | undefined> {
    if (!m.prev) return undefined;
    const p = await this.get({ seq: m.prev });
    return p && p.subject === subject ? p : undefined;
  }

  /** The entry before `m` that may be with `key`'s peer, by the skip table (peers.ts). */
  private async prevOf(subject: string, m: Entry, key: string): Promise<Entry | undefined> {
    const { seq } = jumpFor(m.table, key);
    if (!seq) return undefined;
    const p = await this.get({ seq });
    return p && p.subject === subject ? p : undefined;
  }

  /** The entry with this id if it is in this archive: among the first ones after the id's floor. */
  private async mine(subject: string, id: string): Promise<Entry | undefined> {
    const m = /^([0-9a-z]{1,11})-[0-9a-f]{8}[0-9a-z]{1,11}$/.exec(id);
    if (!m) return undefined;
    let at = await this.next(subject, parseInt(m[1], 36));
    for (let i = 0; at && i < FIND_SCAN; i++, at = await this.next(subject, at.seq)) if (at.id === id) return at;
    return undefined;
  }

  private async get(req: Record<string, unknown>): Promise<Entry | undefined> {
    try {
      const m = await this.jsm.streams.getMessage(MAM_STREAM, req as unknown as MsgRequest);
      const e = m ? decodeEntry(m.string()) : undefined;
      return m && e ? { seq: m.seq, subject: m.subject, time: m.time.getTime(), ...e } : undefined;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) return undefined;
      throw err;
    }
  }

  async purge(user: string): Promise<void> {
    await this.jsm.streams.purge(MAM_STREAM, { filter: archiveSubject(user) });
    this.heads.delete(user);
  }

  async totals(): Promise<{ messages: number; archives: number }> {
    const { state } = await this.jsm.streams.info(MAM_STREAM);
    return { messages: state.messages, archives: state.num_subjects ?? 0 };
  }
}

type Match = (m: Entry) => boolean;

/** `with` a bare JID: any of its resources; a full JID: exactly it (XEP-0313 §4.1.1). */
function matcher(q: ArchiveQuery): Match {
  const w = q.with?.toLowerCase();
  if (!w) return () => true;
  const full = w.includes('/');
  return (m) => {
    const other = m.with.toLowerCase();
    return full ? other === w : other === w || other.startsWith(`${w}/`);
  };
}

function entryOf(m: Entry): ArchivedMessage {
  return { id: m.id, ts: m.time, with: m.with, xml: m.xml };
}

export function limits(opts: JetStreamArchiveOptions): Partial<StreamConfig> {
  const ns = (ms: number) => ms * 1_000_000;
  return {
    discard: DiscardPolicy.Old,
    max_msgs_per_subject: opts.maxPerUser > 0 ? opts.maxPerUser : -1,
    max_age: ns(opts.retentionMs),
    max_bytes: opts.maxStreamBytes && opts.maxStreamBytes > 0 ? opts.maxStreamBytes : -1,
    max_msg_size: opts.maxMessageBytes + 1024,
    duplicate_window: ns(opts.retentionMs > 0 ? Math.min(120_000, opts.retentionMs) : 120_000),
  };
}

/** Create the stream or bring an existing one to these limits. */
async function ensure(jsm: JetStreamManager, want: Partial<StreamConfig>): Promise<void> {
  const current = await jsm.streams.info(MAM_STREAM).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  });
  if (current === null) {
    await jsm.streams
      .add({ name: MAM_STREAM, subjects: [MAM_SUBJECTS], storage: StorageType.File, retention: RetentionPolicy.Limits, ...want })
      .catch(async (err: unknown) => {
        // Another replica created it at the same moment.
        if (!(await jsm.streams.info(MAM_STREAM).catch(() => null))) throw err;
      });
    return;
  }
  const cfg = current.config as unknown as Record<string, unknown>;
  if (Object.entries(want).some(([k, v]) => cfg[k] !== v)) await jsm.streams.update(MAM_STREAM, want);
}
