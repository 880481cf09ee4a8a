// The bytes of offline messages stored per user (OFFLINE_MAX_BYTES, issue 9
// #9). JetStream bounds messages per subject but not bytes, so each user's
// total is kept in the KV bucket "xmpp_offline_bytes" (bare JID → decimal
// bytes), changed with revision checks: a store reserves its bytes before it
// publishes (and gives them back if the publish fails), a take gives back
// what it removed. Entries expire with the messages (the bucket's TTL is the
// stream's max age, and every store rewrites the entry), and a total left
// over by a crash is dropped when the user's subject turns out to be empty.
import { casUpdate, encodeKey, type Bus, type KV } from '@cx/bus';

export const OFFLINE_BYTES_BUCKET = 'xmpp_offline_bytes';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = { decode: (b: Uint8Array) => Number(decoder.decode(b)) || 0, encode: (n: number) => encoder.encode(String(n)) };

export class OfflineUsage {
  private constructor(private readonly kv: KV, readonly maxBytes: number) {}

  static async open(bus: Bus, o: { maxBytes: number; maxAgeMs: number }): Promise<OfflineUsage> {
    return new OfflineUsage(await bus.bucket(OFFLINE_BYTES_BUCKET, { maxValueSize: 1024, ...(o.maxAgeMs > 0 ? { ttl: o.maxAgeMs } : {}) }), o.maxBytes);
  }

  /** Count `bytes` more for the user unless that passes the bound; `empty` says whether nothing is stored for the user after all (then the old total is dropped). */
  async reserve(bareJid: string, bytes: number, empty: () => Promise<boolean>): Promise<boolean> {
    const fits = (cur: number) => cur + bytes <= this.maxBytes;
    const add = () => casUpdate(this.kv, encodeKey(bareJid), codec, (cur) => (fits(cur ?? 0) ? { next: (cur ?? 0) + bytes, result: true } : { next: undefined, result: false }));
    if (await add()) return true;
    if (bytes > this.maxBytes || !(await empty())) return false;
    await casUpdate(this.kv, encodeKey(bareJid), codec, () => ({ next: null, result: undefined }));
    return add();
  }

  /** Give back `bytes` (messages taken, or a store that failed). */
  async release(bareJid: string, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    await casUpdate(this.kv, encodeKey(bareJid), codec, (cur) => {
      if (cur === null) return { next: undefined, result: undefined };
      const left = cur - bytes;
      return { next: left > 0 ? left : null, result: undefined };
    });
  }
}
