// Rosters in the JetStream KV bucket "xmpp_rosters" (username → Roster),
// changed with optimistic concurrency: a write names the revision it read, so
// two router replicas changing one roster cannot lose an update. Rosters read
// recently are kept in memory; a KV watch drops one the moment any replica
// changes it, and a stale copy can never be written back (the revision check).
import { casUpdate, encodeKey, readVersioned, WatchedCache, type Bus, type KV, type Versioned } from '@cx/bus';
import { rosterv1 } from '@cx/proto';
import { onWire } from './roster-xml';
import { listed, type Item } from './subscription';
import { DEFAULT_ROSTER_LIMITS, rosterExcess, type RosterExcess, type RosterLimits } from './roster-bounds';

export const ROSTER_BUCKET = 'xmpp_rosters';
export type Roster = rosterv1.Roster;
const EMPTY: Roster = { version: 0, items: [], removed: [], horizon: 0 };
/** Removed items remembered for version diffs (§2.6.3); older removals raise the horizon. */
const MAX_REMOVED = 200;
const codec = { decode: (b: Uint8Array) => rosterv1.Roster.decode(b), encode: (r: Roster) => rosterv1.Roster.encode(r).finish() };

export class RosterStore {
  private constructor(
    private readonly kv: KV,
    private readonly cache: WatchedCache<Versioned<Roster>>,
    readonly limits: RosterLimits,
  ) {}

  static async open(bus: Bus, opts: { cacheSize?: number; limits?: Partial<RosterLimits> } = {}): Promise<RosterStore> {
    const limits = { ...DEFAULT_ROSTER_LIMITS, ...opts.limits };
    // A value may not be larger than the roster bound (plus room for headers): no write can fail half-way at max payload.
    const kv = await bus.bucket(ROSTER_BUCKET, { maxValueSize: limits.maxBytes + 4096 });
    return new RosterStore(kv, await WatchedCache.open(kv, opts.cacheSize ?? 50_000), limits);
  }

  private read(username: string): Promise<Versioned<Roster>> {
    return this.cache.get(username, () => readVersioned(this.kv, encodeKey(username), codec));
  }

  /** The account is removed: its roster goes (a new account with the name starts empty). */
  async removeUser(username: string): Promise<void> {
    await this.kv.purge(encodeKey(username));
    this.cache.forget(username);
  }

  async get(username: string): Promise<Roster> {
    return (await this.read(username)).value ?? EMPTY;
  }

  /**
   * Change one item (by contact JID). `change` gets the current item and returns
   * the new one, null to remove it, or undefined for no change. The roster
   * version moves only when what the user's clients see changes (RFC 6121
   * §2.6: a request-only item, or Pending In, is not on the wire); `changed`
   * says so (push then). `item` is the item as stored when it is in the roster.
   * With `bounded`, a change that would break a bound (roster-bounds.ts) is not
   * made: `refused` names the bound.
   */
  async updateItem<T>(
    username: string,
    jid: string,
    change: (cur: Item | undefined) => { item: Item | null | undefined; result: T },
    opts: { bounded?: boolean } = {},
  ): Promise<{ result: T; changed: boolean; version: number; item?: Item; refused?: RosterExcess }> {
    type Out = { result: T; changed: boolean; version: number; item?: Item; written: boolean; refused?: RosterExcess };
    const guess = await this.read(username);
    const out = await casUpdate<Roster, Out>(
      this.kv,
      encodeKey(username),
      codec,
      (current) => {
        const roster = current ?? EMPTY;
        const old = roster.items.find((i) => i.jid === jid);
        const { item, result } = change(old);
        if (item === undefined) return { next: undefined, result: { result, changed: false, version: roster.version, written: false } };
        const visible = onWire(old) !== onWire(item);
        const version = visible ? roster.version + 1 : roster.version;
        const stored = item ? { ...item, version: visible ? version : (old?.version ?? 0) } : undefined;
        const items = roster.items.filter((i) => i.jid !== jid);
        let removed = visible ? roster.removed.filter((r) => r.jid !== jid) : roster.removed;
        let horizon = roster.horizon;
        if (stored) items.push(stored);
        else if (visible) removed.push({ jid, version });
        if (removed.length > MAX_REMOVED) {
          horizon = removed[removed.length - MAX_REMOVED - 1].version;
          removed = removed.slice(-MAX_REMOVED);
        }
        const next: Roster = { version, items, removed, horizon };
        const refused = opts.bounded ? rosterExcess(roster, next, this.limits) : undefined;
        if (refused) return { next: undefined, result: { result, changed: false, version: roster.version, written: false, refused } };
        return { next, result: { result, changed: visible, version, item: stored && listed(stored) ? stored : undefined, written: true } };
      },
      guess,
    );
    if (out.written) this.cache.forget(username);
    return { result: out.result, changed: out.changed, version: out.version, item: out.item, refused: out.refused };
  }
}
