// A bounded in-memory cache of one KV bucket's values, kept honest by a KV
// watch: any replica's change to a key drops it here at once. A read that
// overlapped a change is not cached, so a value older than the change cannot
// settle in. Size 0 turns caching off (every read loads).
import type { KV } from '@nats-io/kv';
import { decodeKey } from './subjects';

export class WatchedCache<V> {
  private readonly entries = new Map<string, V>();
  /** Bumped on every change seen: a load that overlapped one is not kept. */
  private changes = 0;

  private constructor(private readonly size: number) {}

  /** Keys are the decoded KV keys (see encodeKey); `key`: the keys watched (and so cached), all by default. */
  static async open<V>(kv: KV, size: number, key = '>'): Promise<WatchedCache<V>> {
    const cache = new WatchedCache<V>(size);
    if (size > 0) {
      const w = await kv.watch({ key, include: 'updates' });
      void (async () => {
        for await (const e of w) cache.forget(decodeKey(e.key));
      })();
    }
    return cache;
  }

  forget(key: string): void {
    this.changes++;
    this.entries.delete(key);
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const before = this.changes;
    const v = await load();
    if (this.size > 0 && this.changes === before) {
      this.entries.set(key, v);
      if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
    }
    return v;
  }
}
