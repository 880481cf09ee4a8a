// PEP nodes on JetStream KV (bucket xmpp_pep). One key per node,
// `<user>.<node>`, holds the node whole (configuration, items oldest first,
// explicit subscribers) as JSON, and one key per user, `<user>`, is the
// user's index: each node's size and access model, for disco#items, the
// per-user byte bound and account removal without scanning the bucket.
// Every write is a revision-checked read-modify-write (casUpdate), so two
// routers publishing to one node never lose an item. The index is written
// after the node: a crash between them leaves a node the index undercounts
// until its next write, never an item lost.
import { casUpdate, encodeKey, hashKey, WatchedCache, type Bus, type CasCodec, type KV } from '@cx/bus';
import type { AccessModel, NodeConfig } from './config';

export const PEP_BUCKET = 'xmpp_pep';

export interface StoredItem {
  id: string;
  /** The payload, serialized. */
  xml: string;
  /** When it was published (ms). */
  at: number;
}

export interface StoredNode {
  config: NodeConfig;
  /** Oldest first. */
  items: StoredItem[];
  /** Explicit subscriptions (XEP-0060 §6.1): JIDs, bare or full. */
  subs: string[];
}

export interface NodeMeta {
  /** Bytes the node takes in the bucket. */
  b: number;
  /** Its access model (disco#items lists only what the asker may see). */
  a: AccessModel;
  /** The id of its newest item (XEP-0153: the avatar's hash is the metadata's item id). */
  l?: string;
  /** Its newest item's payload is an empty element (an avatar metadata that disables the avatar). */
  e?: boolean;
}

export type UserIndex = Record<string, NodeMeta>;

export interface PepLimits {
  /** Bytes of all of one user's nodes together (PEP_MAX_BYTES). */
  maxBytes: number;
  /** Nodes per user (PEP_MAX_NODES). */
  maxNodes: number;
  /** Items per node at most; what max_items=max means (PEP_MAX_ITEMS). */
  maxItems: number;
}

export const DEFAULT_PEP_LIMITS: PepLimits = { maxBytes: 1024 * 1024, maxNodes: 64, maxItems: 256 };

/** The change to one node: the node to write (null: delete it, undefined: nothing), and what to answer. */
export interface NodeDecision<T> {
  next: StoredNode | null | undefined;
  result: T;
}

/** A write that would take the user past PEP_MAX_BYTES or PEP_MAX_NODES. */
export const FULL = 'full' as const;

const json = <V>(): CasCodec<V> => ({
  decode: (b) => JSON.parse(Buffer.from(b).toString('utf8')) as V,
  encode: (v) => new Uint8Array(Buffer.from(JSON.stringify(v), 'utf8')),
});
const nodeCodec = json<StoredNode>();
const indexCodec = json<UserIndex>();

/** The key token of a node name: readable when short, its hash when long. */
export function nodeToken(node: string): string {
  const k = encodeKey(node);
  return k.length <= 200 ? k : hashKey(node);
}

export function nodeBytes(n: StoredNode): number {
  return Buffer.byteLength(JSON.stringify(n), 'utf8');
}

/** Most bytes one key may hold (NATS' default max_payload is 1 MiB). */
const MAX_VALUE = 1000 * 1024;

/** Users whose index a router keeps in memory (a contact's nodes are looked up at each login of the user's contacts). */
const INDEX_CACHE = 20_000;

export class PepStore {
  private constructor(
    private readonly kv: KV,
    readonly limits: PepLimits,
    private readonly indexes: WatchedCache<UserIndex>,
  ) {}

  static async open(bus: Bus, limits: Partial<PepLimits> = {}, opts: { indexCache?: number } = {}): Promise<PepStore> {
    const l = { ...DEFAULT_PEP_LIMITS, ...limits };
    const kv = await bus.bucket(PEP_BUCKET, { maxValueSize: Math.min(MAX_VALUE, l.maxBytes + 4096) });
    // Only the index keys (one token: the user) are watched; node keys (user.node) are not.
    return new PepStore(kv, l, await WatchedCache.open<UserIndex>(kv, opts.indexCache ?? INDEX_CACHE, '*'));
  }

  private userKey(user: string): string {
    return encodeKey(user);
  }

  private nodeKey(user: string, node: string): string {
    return `${encodeKey(user)}.${nodeToken(node)}`;
  }

  /** The user's nodes by name. */
  async index(user: string): Promise<UserIndex> {
    return this.indexes.get(user, async () => {
      const e = await this.kv.get(this.userKey(user));
      if (!e || e.operation !== 'PUT' || !e.value.length) return {};
      return indexCodec.decode(e.value);
    });
  }

  async node(user: string, node: string): Promise<StoredNode | null> {
    const e = await this.kv.get(this.nodeKey(user, node));
    if (!e || e.operation !== 'PUT' || !e.value.length) return null;
    return nodeCodec.decode(e.value);
  }

  /**
   * Change one node with a revision check (retried on conflicts): `decide`
   * gets the node as stored. FULL when the result would pass the user's bounds
   * (nothing written); the bound is checked against the index as read, so
   * concurrent writes to different nodes of one user may pass it by one write.
   */
  async update<T>(user: string, node: string, decide: (cur: StoredNode | null) => NodeDecision<T>): Promise<T | typeof FULL> {
    const idx = await this.index(user);
    const others = Object.entries(idx).filter(([n]) => n !== node);
    const usedByOthers = others.reduce((s, [, m]) => s + m.b, 0);
    let meta: NodeMeta | null | undefined;
    const out = await casUpdate<StoredNode, T | typeof FULL>(this.kv, this.nodeKey(user, node), nodeCodec, (cur) => {
      const d = decide(cur);
      meta = undefined;
      if (d.next === undefined) return { next: undefined, result: d.result };
      if (d.next === null) {
        meta = null;
        return { next: cur ? null : undefined, result: d.result };
      }
      const b = nodeBytes(d.next);
      if (!cur && others.length >= this.limits.maxNodes) return { next: undefined, result: FULL };
      // A write that makes the node smaller always goes (a bound lowered below what a user has must not block shrinking it).
      const over = b + usedByOthers > this.limits.maxBytes && (!cur || b > nodeBytes(cur));
      if (over || b > MAX_VALUE) return { next: undefined, result: FULL };
      const newest = d.next.items[d.next.items.length - 1];
      meta = { b, a: d.next.config.accessModel, l: newest?.id, e: newest ? /^<[^>]*\/>$/.test(newest.xml) : undefined };
      return { next: d.next, result: d.result };
    });
    if (meta !== undefined && out !== FULL) await this.setMeta(user, node, meta);
    return out;
  }

  private async setMeta(user: string, node: string, meta: NodeMeta | null): Promise<void> {
    await casUpdate<UserIndex, void>(this.kv, this.userKey(user), indexCodec, (cur) => {
      const idx = { ...(cur ?? {}) };
      if (meta) {
        const old = idx[node];
        if (old && old.b === meta.b && old.a === meta.a && old.l === meta.l && old.e === meta.e) return { next: undefined, result: undefined };
        idx[node] = meta;
      } else {
        if (!(node in idx)) return { next: undefined, result: undefined };
        delete idx[node];
      }
      return { next: Object.keys(idx).length ? idx : null, result: undefined };
    });
    this.indexes.forget(user); // before the watch brings the change: this router reads its own write
  }

  /** The account is removed: every node and the index go. */
  async removeUser(user: string): Promise<void> {
    const u = this.userKey(user);
    const keys: string[] = [];
    for await (const k of await this.kv.keys(`${u}.>`)) keys.push(k);
    for (const k of keys) await this.kv.purge(k);
    await this.kv.purge(u);
    this.indexes.forget(user);
  }

  /** Bytes and nodes the user holds (for tools and tests). */
  async usage(user: string): Promise<{ bytes: number; nodes: number }> {
    const idx = Object.values(await this.index(user));
    return { bytes: idx.reduce((s, m) => s + m.b, 0), nodes: idx.length };
  }
}
