// Work that must be done in one order by one process at a time, by whichever
// replica is alive: the stanzas of a group chat room (XEP-0045's join
// sequence and message order depend on it). Keys (rooms) hash to a fixed
// number of partitions; each partition is a subject of a JetStream stream
// (xmpp_<name>_in), and its owner is the replica holding its lease in the KV
// bucket xmpp_<name>_leases. docs/architecture.md, "Owned partitions".
//
// - Any replica publishes to a partition (DurablePublisher: pipelined, each
//   acknowledged by JetStream, retried in order until stored); durable()
//   resolves once everything published before it is stored, and what is
//   stored will be handled, whoever owns the partition then.
// - The owner reads its partitions' subjects in order (Follower). Messages
//   with the same key (take's key: a room) are handled one at a time in stream
//   order; different keys of one partition run side by side (up to
//   maxInFlight), so a busy room does not hold up the others. After each, it
//   writes what it finished into the lease: `done` (every message up to it)
//   and `skip` (those finished after it, while an earlier one still runs).
//   The write is the lease's renewal and, being a revision-checked update,
//   fails once another replica took the lease, at which point the old owner
//   stops.
// - A lease whose revision does not move for leaseMs is taken by another
//   replica, which reads on from `done`, passing over `skip`: after a SIGKILL
//   nothing stored is lost. A message finished but not yet written is
//   handled again by the next owner (at least once; the window is one KV
//   round trip).
// - On SIGTERM the owner finishes the messages in hand, writes `done` and an
//   empty owner: the others take over at once, without waiting for leaseMs.
// - Handled messages are purged from the stream every PURGE_MS.
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Logger } from '@cx/log';
import { Counter, Gauge } from 'prom-client';
import type { Bus } from './connect';
import { DurablePublisher } from './durable-publisher';
import { Follower } from './follow';
import { planLeases, type LeaseView } from './lease-plan';
import { ensureStream } from './streams';
import { isConflict } from './cas';

const takeovers = new Counter({
  name: 'xmpp_partition_takeovers_total',
  help: 'Partitions this replica took (free: released or never owned; stale: its owner stopped renewing)',
  labelNames: ['name', 'kind'],
});
const ownedGauge = new Gauge({ name: 'xmpp_partitions_owned', help: 'Partitions this replica owns', labelNames: ['name'] });
const failures = new Counter({
  name: 'xmpp_partition_handler_failures_total',
  help: 'Messages whose handler threw (logged; the partition goes on)',
  labelNames: ['name'],
});

export interface OwnedPartitionsOptions {
  bus: Bus;
  /** 'muc': stream xmpp_muc_in, subjects xmpp.muc.in.<p>, bucket xmpp_muc_leases. */
  name: string;
  /** Fixed for the life of the data: every replica must use the same. */
  partitions: number;
  /** A lease not renewed for this long is taken over (ms). */
  leaseMs: number;
  /** This replica's id, unique per process. */
  id: string;
  /**
   * Read one message of an owned partition into its work: `run` handles it, after the runs of earlier
   * messages with the same `key` (one at a time, in stream order; keys side by side).
   */
  take(partition: number, m: JsMsg): PartitionWork;
  /** Messages of one partition being handled at once at most (default 256). */
  maxInFlight?: number;
  /** A partition was given up or lost (forget what was cached for it). */
  onRelease?(partition: number): void;
  /** How long the stream keeps messages (ms) and how many bytes at most. */
  maxAgeMs: number;
  maxBytes: number;
  log: Logger;
}

export interface PartitionWork {
  key: string;
  run(): Promise<void>;
}

interface Owned {
  revision: number;
  /** Every message up to this sequence is finished. */
  done: number;
  /** Finished after `done` while an earlier one still runs. */
  finished: Set<number>;
  /** Handed to a handler and not finished, in stream order. */
  running: Set<number>;
  /** The last message of each key still running (the next of that key waits for it). */
  chains: Map<string, Promise<void>>;
  /** Passed over: finished by the previous owner after its `done`. */
  skip: Set<number>;
  /** Wakes a reader waiting for room (maxInFlight). */
  slot?: () => void;
  reader: Follower;
  writing: boolean;
  dirty: boolean;
  leaving: boolean;
  purgedTo: number;
}

const PURGE_MS = 10_000;

/** The stream, its subjects and the lease bucket of partitioned work called `name`. */
export function partitionedNames(name: string) {
  return {
    stream: `xmpp_${name}_in`,
    bucket: `xmpp_${name}_leases`,
    subject: (partition: number | '*') => `xmpp.${name}.in.${partition}`,
  };
}

/** The partition of a key (a room's name): FNV-1a of its UTF-16 units, the same on every replica. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

interface Lease {
  owner: string;
  done: number;
  skip?: number[];
}

const codec = {
  encode: (v: Lease) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Lease,
};

export class OwnedPartitions {
  private readonly leases = new Map<number, LeaseView & { skip?: number[] }>();
  private readonly beats = new Map<string, { revision: number; seenAt: number }>();
  private readonly owned = new Map<number, Owned>();
  private readonly claiming = new Set<number>();
  private readonly ticker: NodeJS.Timeout;
  private watch?: AsyncIterable<KvWatchEntry> & { stop(): void };
  private stopped = false;
  private readonly startedAt = Date.now();
  private readonly out: DurablePublisher;
  private readonly names: ReturnType<typeof partitionedNames>;

  private constructor(
    private readonly o: OwnedPartitionsOptions,
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    this.names = partitionedNames(o.name);
    this.out = new DurablePublisher({ nc: o.bus.nc, stream: this.names.stream });
    this.ticker = setInterval(() => this.tick(), Math.max(50, Math.floor(o.leaseMs / 4)));
    this.ticker.unref();
  }

  get stream(): string {
    return this.names.stream;
  }

  subject(partition: number): string {
    return this.names.subject(partition);
  }

  static async start(o: OwnedPartitionsOptions): Promise<OwnedPartitions> {
    const names = partitionedNames(o.name);
    const kv = await o.bus.bucket(names.bucket, { history: 1 });
    const jsm = await jetstreamManager(o.bus.nc);
    const self = new OwnedPartitions(o, kv, jetstream(o.bus.nc), jsm);
    await ensureStream(jsm, {
      name: self.stream,
      subjects: [names.subject('*')],
      max_age: o.maxAgeMs * 1_000_000,
      max_bytes: o.maxBytes,
      num_replicas: o.bus.replicas,
    });
    await self.follow();
    self.tick();
    return self;
  }

  partitionOf(key: string): number {
    return partitionOf(key, this.o.partitions);
  }

  owns(partition: number): boolean {
    const st = this.owned.get(partition);
    return !!st && !st.leaving;
  }

  /** Store a message for a partition (in the order of the calls; see durable). */
  publish(partition: number, data: Uint8Array): void {
    this.out.publish(this.subject(partition), data);
  }

  /** Resolves once every message published before the call is stored; never rejects (failures are retried). */
  durable(): Promise<void> {
    return this.out.durable();
  }

  /** Hand every partition back (SIGTERM): the others take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    await Promise.all([...this.owned.keys()].map((p) => this.release(p)));
    this.watch?.stop();
    await this.kv.delete(`h.${this.o.id}`).catch(() => undefined);
  }

  // ---- what the bucket says ----

  private async follow(): Promise<void> {
    const w = (await this.kv.watch({ key: '>' })) as unknown as AsyncIterable<KvWatchEntry> & { stop(): void };
    this.watch = w;
    void (async () => {
      for await (const e of w) this.seen(e);
    })().catch((err: Error) => this.o.log.warn({ err }, 'partitions: lease watch ended'));
  }

  private seen(e: KvWatchEntry): void {
    const now = Date.now();
    const put = e.operation === 'PUT' && e.value.length > 0;
    if (e.key.startsWith('h.')) {
      const id = e.key.slice(2);
      if (put) this.beats.set(id, { revision: e.revision, seenAt: now });
      else this.beats.delete(id);
      return;
    }
    if (!e.key.startsWith('p.')) return;
    const p = Number(e.key.slice(2));
    const v = put ? codec.decode(e.value) : { owner: '', done: this.leases.get(p)?.done ?? 0 };
    this.leases.set(p, { owner: v.owner, done: v.done, skip: v.skip, revision: e.revision, seenAt: now });
    // Released by its owner: take it now rather than at the next tick.
    if (v.owner === '' && !this.stopped) this.plan();
  }

  // ---- leases ----

  private tick(): void {
    if (this.stopped) return;
    void this.kv.put(`h.${this.o.id}`, new TextEncoder().encode(String(Date.now()))).catch(() => undefined);
    for (const p of this.owned.keys()) this.checkpoint(p);
    this.purge();
    // Before taking over others' leases, watch one lease period: a fresh replica has not seen them renew yet.
    if (Date.now() - this.startedAt >= this.o.leaseMs || this.leases.size === 0) this.plan();
    else this.plan(true);
  }

  private plan(freeOnly = false): void {
    const now = Date.now();
    const live = [...this.beats].filter(([, b]) => now - b.seenAt < this.o.leaseMs).map(([id]) => id);
    const owned = new Set([...this.owned.keys(), ...this.claiming]);
    const plan = planLeases({ me: this.o.id, now, leaseMs: this.o.leaseMs, partitions: this.o.partitions, leases: this.leases, live, owned });
    for (const p of plan.release) void this.release(p);
    for (const p of plan.claim) {
      const l = this.leases.get(p);
      if (freeOnly && l && l.owner !== '') continue;
      void this.claim(p);
    }
  }

  private async claim(p: number): Promise<void> {
    if (this.claiming.has(p) || this.owned.has(p) || this.stopped) return;
    this.claiming.add(p);
    const seen = this.leases.get(p);
    const done = seen?.done ?? 0;
    const skip = seen?.skip ?? [];
    try {
      const value = codec.encode({ owner: this.o.id, done, skip });
      const revision = seen ? await this.kv.update(`p.${p}`, value, seen.revision) : await this.kv.create(`p.${p}`, value);
      if (this.stopped) return;
      takeovers.inc({ name: this.o.name, kind: !seen || seen.owner === '' ? 'free' : 'stale' });
      const st: Owned = {
        revision,
        done,
        finished: new Set(skip),
        running: new Set(),
        chains: new Map(),
        skip: new Set(skip),
        writing: false,
        dirty: false,
        leaving: false,
        purgedTo: 0,
        reader: this.reader(p, done),
      };
      this.owned.set(p, st);
      ownedGauge.set({ name: this.o.name }, this.owned.size);
      this.o.log.info({ partition: p, from: seen?.owner || undefined, done }, `${this.o.name}: partition taken`);
      await st.reader.start();
    } catch (err) {
      if (!isConflict(err)) this.o.log.warn({ err, partition: p }, `${this.o.name}: taking a partition failed`);
      // Our view was stale (the watch lags, or another replica was quicker): read the lease as it is.
      else
        await this.kv
          .get(`p.${p}`)
          .then((e) => e && this.seen(e as unknown as KvWatchEntry))
          .catch(() => undefined);
    } finally {
      this.claiming.delete(p);
    }
  }

  private reader(p: number, after: number): Follower {
    return new Follower({
      js: this.js,
      nc: this.o.bus.nc,
      stream: this.stream,
      subject: this.subject(p),
      afterSeq: after,
      maxMessages: 256,
      nextAfter: async (seq) => {
        const m = await this.jsm.streams.getMessage(this.stream, { seq: seq + 1, next_by_subj: this.subject(p) } as never).catch(() => null);
        return m?.seq ?? 0;
      },
      each: (m) => this.each(p, m),
    });
  }

  /** Start handling a message (after the last one of its key); resolves at once unless maxInFlight are running. */
  private each(p: number, m: JsMsg): void | Promise<void> {
    const st = this.owned.get(p);
    if (!st || st.leaving) return;
    if (st.skip.delete(m.seq)) return;
    const failed = (err: Error) => {
      failures.inc({ name: this.o.name });
      this.o.log.error({ err, partition: p, seq: m.seq }, `${this.o.name}: handling a message failed`);
    };
    let work: PartitionWork;
    try {
      work = this.o.take(p, m);
    } catch (err) {
      // Unreadable: counted and passed over like one whose handling threw.
      failed(err as Error);
      work = { key: '', run: () => Promise.resolve() };
    }
    const { key } = work;
    const before = st.chains.get(key);
    st.running.add(m.seq);
    const handle = () => work.run().catch(failed);
    const run: Promise<void> = (before ? before.then(handle) : handle()).then(() => {
      if (st.chains.get(key) === run) st.chains.delete(key);
      this.finish(p, st, m.seq);
    });
    st.chains.set(key, run);
    if (st.running.size < (this.o.maxInFlight ?? 256)) return;
    return new Promise<void>((resolve) => (st.slot = resolve));
  }

  /** A message is finished: `done` moves up over every finished one with nothing running before it. */
  private finish(p: number, st: Owned, seq: number): void {
    st.running.delete(seq);
    const first = st.running.values().next();
    const floor = first.done ? Infinity : first.value;
    if (seq < floor) st.done = Math.max(st.done, seq);
    else st.finished.add(seq);
    for (const f of st.finished) {
      if (f < floor) {
        st.done = Math.max(st.done, f);
        st.finished.delete(f);
      }
    }
    const wake = st.slot;
    st.slot = undefined;
    wake?.();
    this.checkpoint(p);
  }

  /** Write `done` into the lease (one write in flight per partition); a conflict means another replica took it. */
  private checkpoint(p: number): void {
    const st = this.owned.get(p);
    if (!st || st.leaving) return;
    if (st.writing) {
      st.dirty = true;
      return;
    }
    st.writing = true;
    void (async () => {
      do {
        st.dirty = false;
        const lease = { owner: this.o.id, done: st.done, skip: st.finished.size ? [...st.finished] : undefined };
        st.revision = await this.kv.update(`p.${p}`, codec.encode(lease), st.revision);
      } while (st.dirty && !st.leaving);
    })()
      .catch((err: Error) => {
        if (isConflict(err)) return this.lost(p);
        this.o.log.warn({ err, partition: p }, `${this.o.name}: renewing a lease failed`);
      })
      .finally(() => (st.writing = false));
  }

  private lastPurge = Date.now();

  /** Drop what the owned partitions finished from the stream (every PURGE_MS), so it holds only what waits. */
  private purge(): void {
    if (Date.now() - this.lastPurge < PURGE_MS) return;
    this.lastPurge = Date.now();
    for (const [p, st] of this.owned) {
      if (st.done <= st.purgedTo) continue;
      const to = st.done;
      void this.jsm.streams
        .purge(this.stream, { filter: this.subject(p), seq: to + 1 })
        .then(() => (st.purgedTo = to))
        .catch((err: Error) => this.o.log.warn({ err, partition: p }, `${this.o.name}: purging handled messages failed`));
    }
  }

  private lost(p: number): void {
    const st = this.owned.get(p);
    if (!st) return;
    this.o.log.warn({ partition: p }, `${this.o.name}: lease lost to another replica`);
    st.leaving = true;
    this.owned.delete(p);
    ownedGauge.set({ name: this.o.name }, this.owned.size);
    st.slot?.();
    void st.reader.stop();
    this.o.onRelease?.(p);
  }

  /** Give a partition back: finish the messages in hand, write done with no owner. */
  private async release(p: number): Promise<void> {
    const st = this.owned.get(p);
    if (!st || st.leaving) return;
    st.leaving = true;
    await st.reader.stop();
    st.slot?.();
    await Promise.all([...st.chains.values()]);
    while (st.writing) await new Promise((r) => setTimeout(r, 5));
    try {
      await this.kv.update(`p.${p}`, codec.encode({ owner: '', done: st.done, skip: st.finished.size ? [...st.finished] : undefined }), st.revision);
      this.o.log.info({ partition: p, done: st.done }, `${this.o.name}: partition handed back`);
    } catch (err) {
      this.o.log.warn({ err, partition: p }, `${this.o.name}: handing a partition back failed`);
    }
    this.owned.delete(p);
    ownedGauge.set({ name: this.o.name }, this.owned.size);
    this.o.onRelease?.(p);
  }
}
