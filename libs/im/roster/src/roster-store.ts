// Rosters in the JetStream KV bucket "xmpp_rosters" (username → Roster),
// changed with optimistic concurrency: a write names the revision it read, so
// two router replicas changing one roster cannot lose an update.
import { casUpdate, encodeKey, readVersioned, type Bus, type KV } from '@cx/bus';
import { rosterv1 } from '@cx/proto';
import type { Item } from './subscription';

export const ROSTER_BUCKET = 'xmpp_rosters';
export type Roster = rosterv1.Roster;
const EMPTY: Roster = { version: 0, items: [] };
const codec = { decode: (b: Uint8Array) => rosterv1.Roster.decode(b), encode: (r: Roster) => rosterv1.Roster.encode(r).finish() };

export class RosterStore {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<RosterStore> {
    return new RosterStore(await bus.bucket(ROSTER_BUCKET));
  }

  async get(username: string): Promise<Roster> {
    return (await readVersioned(this.kv, encodeKey(username), codec)).value ?? EMPTY;
  }

  /**
   * Change one item (by contact JID). `change` gets the current item and returns
   * the new one, null to remove it, or undefined for no change. Returns the new
   * roster version and the item as stored (undefined when removed or unchanged).
   */
  async updateItem<T>(
    username: string,
    jid: string,
    change: (cur: Item | undefined) => { item: Item | null | undefined; result: T },
  ): Promise<{ result: T; changed: boolean; version: number; item?: Item }> {
    type Out = { result: T; changed: boolean; version: number; item?: Item };
    return casUpdate<Roster, Out>(this.kv, encodeKey(username), codec, (current) => {
      const roster = current ?? EMPTY;
      const { item, result } = change(roster.items.find((i) => i.jid === jid));
      if (item === undefined) return { next: undefined, result: { result, changed: false, version: roster.version } };
      const items = roster.items.filter((i) => i.jid !== jid);
      if (item) items.push(item);
      const next: Roster = { version: roster.version + 1, items };
      return { next, result: { result, changed: true, version: next.version, item: item ?? undefined } };
    });
  }
}
