// Rosters in the JetStream KV bucket "xmpp_rosters" (username → Roster),
// changed with optimistic concurrency: a write names the revision it read, so
// two router replicas changing one roster cannot lose an update.
import { encodeKey, type Bus, type KV } from '@cx/bus';
import { rosterv1 } from '@cx/proto';
import type { Item } from './subscription';

export const ROSTER_BUCKET = 'xmpp_rosters';
export type Roster = rosterv1.Roster;

export class RosterStore {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<RosterStore> {
    return new RosterStore(await bus.bucket(ROSTER_BUCKET));
  }

  async get(username: string): Promise<Roster> {
    return (await this.read(username)).roster;
  }

  private async read(username: string): Promise<{ roster: Roster; revision: number }> {
    const e = await this.kv.get(encodeKey(username));
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return { roster: { version: 0, items: [] }, revision: e?.revision ?? 0 };
    return { roster: rosterv1.Roster.decode(e.value), revision: e.revision };
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
    for (let attempt = 0; ; attempt++) {
      const { roster, revision } = await this.read(username);
      const cur = roster.items.find((i) => i.jid === jid);
      const { item, result } = change(cur);
      if (item === undefined) return { result, changed: false, version: roster.version };
      const items = roster.items.filter((i) => i.jid !== jid);
      if (item) items.push(item);
      const next: Roster = { version: roster.version + 1, items };
      const bytes = rosterv1.Roster.encode(next).finish();
      try {
        if (revision) await this.kv.update(encodeKey(username), bytes, revision);
        else await this.kv.create(encodeKey(username), bytes);
        return { result, changed: true, version: next.version, item: item ?? undefined };
      } catch (err) {
        if (attempt >= 20 || !/wrong last sequence|key exists/.test(String((err as Error)?.message))) throw err;
      }
    }
  }
}
