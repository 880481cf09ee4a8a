// The bytes of offline messages stored per user (OFFLINE_MAX_BYTES, issue 9
// #9). JetStream bounds messages per subject but not bytes, so each user's
// total is kept in the KV bucket "xmpp_offline_bytes" (bare JID → decimal
// bytes), changed with revision checks: a store reserves its bytes before it
// publishes (and gives them back if the publish fails), a take gives back
// what it removed. Entries expire with the messages (the bucket's TTL is the
// stream's max age, and every store rewrites the entry), and a total left
// over by a crash is dropped when the user's subject turns out to be empty.
//
// The bucket is also mirrored here (a KV watch of its keys), so that the
// hand-over at initial presence can tell "nothing stored" in memory instead
// of asking the stream (a JetStream API request on every login, issue 11):
// every stored message has its bytes counted under its user's key before it
// is published, and a key goes only when its total falls to 0. Errors only
// go the safe way: a key kept too long (expired by TTL, a purge) costs a
// read that finds nothing. A store made by this process is known at once,
// before the mirror shows its reservation, so the read that follows every
// store (main.ts re-checks whether the recipient came online meanwhile) is
// never answered from a mirror that lags behind it. A store by another
// router replica is seen once this mirror applies it (a few milliseconds);
// that replica's own re-check after its store covers a login in between.
import { casUpdate, decodeKey, encodeKey, type Bus, type KV } from '@cx/bus';

export const OFFLINE_BYTES_BUCKET = 'xmpp_offline_bytes';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = { decode: (b: Uint8Array) => Number(decoder.decode(b)) || 0, encode: (n: number) => encoder.encode(String(n)) };

/** A store of this process: in flight, and the revision of its reservation the mirror must reach. */
interface LocalStore {
  inFlight: number;
  revision: number;
}

export class OfflineUsage {
  /** Users with a total in the bucket, as the mirror has it. */
  private readonly held = new Set<string>();
  /** Users with a store by this process that the mirror may not show yet. */
  private readonly local = new Map<string, LocalStore>();
  /** The highest bucket revision the mirror has applied. */
  private applied = 0;
  /** The mirror holds the whole bucket (its first pass is over). */
  private ready = false;

  private constructor(
    private readonly kv: KV,
    readonly maxBytes: number,
  ) {}

  static async open(bus: Bus, o: { maxBytes: number; maxAgeMs: number }): Promise<OfflineUsage> {
    const usage = new OfflineUsage(await bus.bucket(OFFLINE_BYTES_BUCKET, { maxValueSize: 1024, ...(o.maxAgeMs > 0 ? { ttl: o.maxAgeMs } : {}) }), o.maxBytes);
    await usage.mirror();
    return usage;
  }

  private async mirror(): Promise<void> {
    const last = (await this.kv.status()).streamInfo.state.last_seq;
    if (last === 0) this.ready = true;
    const w = await this.kv.watch({ key: '>' });
    void (async () => {
      for await (const e of w) {
        const bare = decodeKey(e.key);
        if (e.operation === 'PUT' && e.value.length) this.held.add(bare);
        else this.held.delete(bare);
        if (e.revision > this.applied) this.applied = e.revision;
        // The first pass delivers the last value of each key, up to the bucket's revision at open.
        if (e.isUpdate || this.applied >= last) this.ready = true;
        for (const [user, l] of this.local) if (l.inFlight === 0 && l.revision <= this.applied) this.local.delete(user);
      }
    })()
      .catch(() => undefined)
      // The mirror stopped: answer "maybe" from now on, so every hand-over reads the stream.
      .finally(() => (this.ready = false));
  }

  /**
   * False only when nothing can be stored for the user: no total in the
   * mirror and no store of this process that the mirror may not show yet.
   * True means "read the stream to know".
   */
  mayHold(bareJid: string): boolean {
    return !this.ready || this.held.has(bareJid) || this.local.has(bareJid);
  }

  /** Run one store of this process for the user: until the mirror shows its reservation, mayHold says true. */
  async storing<T>(bareJid: string, store: (written: (revision: number) => void) => Promise<T>): Promise<T> {
    const l = this.local.get(bareJid) ?? { inFlight: 0, revision: 0 };
    this.local.set(bareJid, l);
    l.inFlight++;
    try {
      return await store((revision) => (l.revision = Math.max(l.revision, revision)));
    } finally {
      l.inFlight--;
      if (l.inFlight === 0 && l.revision <= this.applied && this.local.get(bareJid) === l) this.local.delete(bareJid);
    }
  }

  /** Count `bytes` more for the user unless that passes the bound; `empty` says whether nothing is stored for the user after all (then the old total is dropped). */
  async reserve(bareJid: string, bytes: number, empty: () => Promise<boolean>, written?: (revision: number) => void): Promise<boolean> {
    const fits = (cur: number) => cur + bytes <= this.maxBytes;
    const add = () =>
      casUpdate(
        this.kv,
        encodeKey(bareJid),
        codec,
        (cur) => (fits(cur ?? 0) ? { next: (cur ?? 0) + bytes, result: true } : { next: undefined, result: false }),
        undefined,
        written,
      );
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
