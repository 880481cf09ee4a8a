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
// leader, so a query sees every append already acknowledged. Retracted
// messages are replaced by their tombstones as a page is read (retractions.ts).
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
import { decodeChunk, encodeChunk, type Rec } from './entry';
import { InFlight } from './in-flight';
import { jumpFor, peerKey, successorTable } from './peers';
import { AckedPublisher, PublishError } from './publisher';
import { applyTombstones, Retractions } from './retractions';

export const MAM_STREAM = 'xmpp_mam';
export const MAM_SUBJECTS = 'xmpp.mam.>';

/** The subject of one archive (a bare JID). */
export function archiveSubject(bareJid: string): string {
  if (!bareJid) throw new Error('an archive needs a bare JID');
  return `xmpp.mam.${encodeKey(bareJid)}`;
}

/** Entries looked at after an id's floor before it counts as unknown (appends in flight for one user at once). */
const FIND_SCAN = 256;
/** How often the floor of new ids follows the stream's last sequence (what other replicas appended). */
const FLOOR_REFRESH_MS = 1000;
/** Appends queued for one archive before the caller is asked to wait (backlog()). */
const MAX_QUEUED = 256;
/** Most messages, and characters of XML, in one entry. */
const CHUNK_RECS = 64;
const CHUNK_CHARS = 128 * 1024;
/** "wrong last sequence": another router appended first. */
const WRONG_LAST = 10071;

/** What the next append to an archive needs of its last entry. */
interface Head {
  seq: number;
  table: string;
  /** Its messages' peer keys, oldest first. */
  keys: string[];
}

/** An entry as read back. */
interface Entry {
  seq: number;
  subject: string;
  time: number;
  prev: number;
  table: string;
  recs: Rec[];
}

/** One message of an entry. */
interface Pos {
  e: Entry;
  i: number;
}

interface Waiting {
  rec: Rec;
  resolve: () => void;
  reject: (err: unknown) => void;
  done: Promise<void>;
}

interface Queue {
  waiting: Waiting[];
  busy: boolean;
}

export interface JetStreamArchiveOptions {
  /** Most entries kept per archive; beyond, the oldest are dropped (0: no bound). */
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
  /** Per archive: messages waiting for the append in flight to finish (they go together in the next one). */
  private readonly queues = new Map<string, Queue>();
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
    private readonly retractions: Retractions,
  ) {}

  static async open(bus: Bus, opts: JetStreamArchiveOptions): Promise<JetStreamArchive> {
    const jsm = await jetstreamManager(bus.nc);
    await ensure(jsm, { ...limits(opts), num_replicas: bus.replicas });
    const archive = new JetStreamArchive(jsm, new AckedPublisher(bus.nc), opts, await Retractions.open(bus));
    await archive.refreshFloor();
    // Other replicas append too: an idle one would otherwise give ids whose floor lies far behind their entries.
    setInterval(() => void archive.refreshFloor().catch(() => undefined), FLOOR_REFRESH_MS).unref();
    return archive;
  }

  private async refreshFloor(): Promise<void> {
    const last = (await this.jsm.streams.info(MAM_STREAM)).state.last_seq;
    if (last > this.floor) this.floor = last;
  }

  nextId(): string {
    return `${this.floor.toString(36)}-${this.node}${(++this.counter).toString(36)}`;
  }

  /**
   * Queue a message for `user`'s archive. One append per archive is in
   * flight (the chain needs the previous sequence); what queued meanwhile
   * goes in the next entry together, so a busy archive costs fewer appends.
   */
  append(user: string, rec: Rec): Promise<void> {
    let q = this.queues.get(user);
    if (!q) this.queues.set(user, (q = { waiting: [], busy: false }));
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
    q.waiting.push({ rec, resolve, reject, done });
    this.pending.track(done);
    if (!q.busy) {
      q.busy = true;
      const queue = q;
      queueMicrotask(() => void this.drain(user, queue)); // after the rest of this routing turn has queued its messages
    }
    return done;
  }

  private async drain(user: string, q: Queue): Promise<void> {
    while (q.waiting.length) {
      let chars = 0;
      let n = 0;
      while (n < q.waiting.length && n < CHUNK_RECS && (n === 0 || chars + q.waiting[n].rec.xml.length <= CHUNK_CHARS)) chars += q.waiting[n++].rec.xml.length;
      const batch = q.waiting.splice(0, n);
      try {
        await this.publish(
          user,
          batch.map((w) => w.rec),
        );
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    q.busy = false;
    if (this.queues.get(user) === q) this.queues.delete(user);
  }

  backlog(user: string): Promise<void> | undefined {
    const q = this.queues.get(user);
    if (!q || q.waiting.length <= MAX_QUEUED) return undefined;
    return q.waiting[q.waiting.length - 1].done.then(
      () => undefined,
      () => undefined,
    );
  }

  settled(): Promise<void> {
    return this.pending.settled();
  }

  private async publish(user: string, recs: Rec[]): Promise<void> {
    const subject = archiveSubject(user);
    let prev = this.heads.has(user) ? this.heads.get(user) : await this.head(subject);
    for (let attempt = 0; ; attempt++) {
      const table = successorTable(prev);
      const data = encodeChunk({ prev: prev?.seq ?? 0, table }, recs);
      try {
        const seq = await this.pub.publish(subject, data, { msgId: recs[0].id, lastSubjectSeq: prev?.seq ?? 0 });
        this.remember(user, { seq, table, keys: recs.map((r) => peerKey(r.with)) });
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
    const e = await this.get({ last_by_subj: subject });
    return e && { seq: e.seq, table: e.table, keys: e.recs.map((r) => peerKey(r.with)) };
  }

  async query(user: string, q: ArchiveQuery): Promise<ArchivePage | 'item-not-found'> {
    const [page, tombstones] = await Promise.all([this.read(user, q), this.retractions.get(user)]);
    return page === 'item-not-found' ? page : { ...page, items: applyTombstones(page.items, tombstones) };
  }

  async retract(user: string, id: string, tombstone: (original: ArchivedMessage) => string): Promise<ArchivedMessage | 'item-not-found' | 'full'> {
    const at = await this.find(archiveSubject(user), id);
    if (!at) return 'item-not-found';
    const original = messageAt(at);
    return (await this.retractions.add(user, id, tombstone(original))) ?? original;
  }

  private async read(user: string, q: ArchiveQuery): Promise<ArchivePage | 'item-not-found'> {
    const subject = archiveSubject(user);
    const match = matcher(q);
    if (q.before !== undefined) {
      let from: Pos | undefined;
      if (q.before === '') from = last(await this.get({ last_by_subj: subject }));
      else {
        const at = await this.find(subject, q.before);
        if (!at) return 'item-not-found';
        from = { e: at.e, i: at.i - 1 };
      }
      const key = q.with ? peerKey(q.with) : undefined;
      return this.backward(key ? this.backWith(subject, from, key) : this.back(subject, from), q, match);
    }
    let after: Pos | undefined;
    if (q.after !== undefined) {
      after = await this.find(subject, q.after);
      if (!after) return 'item-not-found';
    }
    if (q.with) return this.forwardWith(subject, after, q, match);
    if (after) return this.forward(this.fwd(subject, { e: after.e, i: after.i + 1 }), q, match);
    if (q.start !== undefined) return this.forward(this.fwd(subject, await this.firstSince(subject, q.start)), q, match);
    return this.forward(this.fwd(subject, first(await this.next(subject, 0))), q, match);
  }

  /** Oldest first: max matching messages, and whether none is left after them. */
  private async forward(it: AsyncGenerator<Pos>, q: ArchiveQuery, match: Match): Promise<ArchivePage> {
    const items: ArchivedMessage[] = [];
    for await (const p of it) {
      if (q.end !== undefined && p.e.time > q.end) return { items, complete: true };
      if (!match(p) || (q.start !== undefined && p.e.time < q.start)) continue;
      if (items.length === q.max) return { items, complete: false };
      items.push(messageAt(p));
    }
    return { items, complete: true };
  }

  /** Newest first, returned oldest first. */
  private async backward(it: AsyncGenerator<Pos>, q: ArchiveQuery, match: Match): Promise<ArchivePage> {
    const items: ArchivedMessage[] = [];
    for await (const p of it) {
      if (q.start !== undefined && p.e.time < q.start) return { items: items.reverse(), complete: true };
      if (!match(p) || (q.end !== undefined && p.e.time > q.end)) continue;
      if (items.length === q.max) return { items: items.reverse(), complete: false };
      items.push(messageAt(p));
    }
    return { items: items.reverse(), complete: true };
  }

  /**
   * A with-filtered page forwards after `after`: a peer's messages may be
   * dense (a forward scan finds a page in a few steps) or sparse (the skip
   * table finds all of them after `after` in a few jumps back from the head),
   * so both run a step at a time and the first to finish answers: the cost is
   * twice the cheaper of the two.
   */
  private async forwardWith(subject: string, after: Pos | undefined, q: ArchiveQuery, match: Match): Promise<ArchivePage> {
    const key = peerKey(q.with ?? '');
    const inTime = (p: Pos) => (q.start === undefined || p.e.time >= q.start) && (q.end === undefined || p.e.time <= q.end);
    const beyond = (p: Pos) => !after || p.e.seq > after.e.seq || (p.e.seq === after.e.seq && p.i > after.i);
    const found: Pos[] = [];
    const back: Pos[] = [];
    const f = this.fwd(subject, after ? { e: after.e, i: after.i + 1 } : first(await this.next(subject, 0)));
    const b = this.backWith(subject, last(await this.get({ last_by_subj: subject })), key);
    const page = (ps: Pos[], complete: boolean): ArchivePage => ({ items: ps.slice(0, q.max).map(messageAt), complete: complete && ps.length <= q.max });
    for (;;) {
      const fn = await f.next();
      if (fn.done || (q.end !== undefined && fn.value.e.time > q.end)) return page(found, true);
      if (match(fn.value) && inTime(fn.value)) found.push(fn.value);
      if (found.length > q.max) return page(found, false);
      const bn = await b.next();
      if (bn.done || !beyond(bn.value) || (q.start !== undefined && bn.value.e.time < q.start)) return page(back.reverse(), true);
      if (match(bn.value) && inTime(bn.value)) back.push(bn.value);
    }
  }

  /** Messages forwards from `from` (inclusive). */
  private async *fwd(subject: string, from: Pos | undefined): AsyncGenerator<Pos> {
    let i = from?.i ?? 0;
    for (let e = from?.e; e; e = await this.next(subject, e.seq), i = 0) for (; i < e.recs.length; i++) yield { e, i };
  }

  /** Messages backwards from `from` (inclusive), down the chain. */
  private async *back(subject: string, from: Pos | undefined): AsyncGenerator<Pos> {
    let e = from?.e;
    let i = from?.i ?? -1;
    while (e) {
      for (; i >= 0; i--) yield { e, i };
      e = await this.entryAt(subject, e.prev);
      i = (e?.recs.length ?? 0) - 1;
    }
  }

  /** Messages backwards from `from` that may be with `key`'s peer: the rest of each entry, then a jump by its skip table. */
  private async *backWith(subject: string, from: Pos | undefined, key: string): AsyncGenerator<Pos> {
    let e = from?.e;
    let i = from?.i ?? -1;
    while (e) {
      for (; i >= 0; i--) yield { e, i };
      e = await this.entryAt(subject, jumpFor(e.table, key).seq);
      i = (e?.recs.length ?? 0) - 1;
    }
  }

  /** The first message at or after `start`: down the chain from the head (a catch-up's cost is what it catches up on). */
  private async firstSince(subject: string, start: number): Promise<Pos | undefined> {
    let found: Pos | undefined;
    for await (const p of this.back(subject, last(await this.get({ last_by_subj: subject })))) {
      if (p.e.time < start) break;
      found = p;
    }
    return found;
  }

  private next(subject: string, seq: number): Promise<Entry | undefined> {
    return this.get({ seq: seq + 1, next_by_subj: subject });
  }

  private async entryAt(subject: string, seq: number): Promise<Entry | undefined> {
    if (!seq) return undefined;
    const e = await this.get({ seq });
    return e && e.subject === subject ? e : undefined;
  }

  /** The message with this id if it is in this archive: among the first entries after the id's floor. */
  private async find(subject: string, id: string): Promise<Pos | undefined> {
    const m = /^([0-9a-z]{1,11})-[0-9a-f]{8}[0-9a-z]{1,11}$/.exec(id);
    if (!m) return undefined;
    let e = await this.next(subject, parseInt(m[1], 36));
    for (let k = 0; e && k < FIND_SCAN; k++, e = await this.next(subject, e.seq)) {
      const i = e.recs.findIndex((r) => r.id === id);
      if (i >= 0) return { e, i };
    }
    return undefined;
  }

  private async get(req: Record<string, unknown>): Promise<Entry | undefined> {
    try {
      const m = await this.jsm.streams.getMessage(MAM_STREAM, req as unknown as MsgRequest);
      const c = m ? decodeChunk(m.string()) : undefined;
      return m && c ? { seq: m.seq, subject: m.subject, time: m.time.getTime(), ...c } : undefined;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) return undefined;
      throw err;
    }
  }

  async purge(user: string): Promise<void> {
    await this.jsm.streams.purge(MAM_STREAM, { filter: archiveSubject(user) });
    await this.retractions.remove(user);
    this.heads.delete(user);
  }

  async totals(): Promise<{ messages: number; archives: number }> {
    const { state } = await this.jsm.streams.info(MAM_STREAM);
    return { messages: state.messages, archives: state.num_subjects ?? 0 };
  }
}

const first = (e: Entry | undefined): Pos | undefined => e && { e, i: 0 };
const last = (e: Entry | undefined): Pos | undefined => e && { e, i: e.recs.length - 1 };

type Match = (p: Pos) => boolean;

/** `with` a bare JID: any of its resources; a full JID: exactly it (XEP-0313 §4.1.1). */
function matcher(q: ArchiveQuery): Match {
  const w = q.with?.toLowerCase();
  if (!w) return () => true;
  const full = w.includes('/');
  return (p) => {
    const other = p.e.recs[p.i].with.toLowerCase();
    return full ? other === w : other === w || other.startsWith(`${w}/`);
  };
}

function messageAt({ e, i }: Pos): ArchivedMessage {
  const r = e.recs[i];
  return { id: r.id, ts: e.time, with: r.with, xml: r.xml };
}

export function limits(opts: JetStreamArchiveOptions): Partial<StreamConfig> {
  const ns = (ms: number) => ms * 1_000_000;
  return {
    discard: DiscardPolicy.Old,
    max_msgs_per_subject: opts.maxPerUser > 0 ? opts.maxPerUser : -1,
    max_age: ns(opts.retentionMs),
    max_bytes: opts.maxStreamBytes && opts.maxStreamBytes > 0 ? opts.maxStreamBytes : -1,
    // One entry holds up to CHUNK_CHARS of XML (at most 3 bytes each), or one message of maxMessageBytes.
    max_msg_size: Math.max(opts.maxMessageBytes, CHUNK_CHARS * 3) + 64 * 1024,
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
