// Who is online where: a local mirror of the JetStream KV bucket of sessions
// (bare JID → UserSessions), kept current by a KV watch, so that routing looks
// up a JID in memory. A miss falls back to a direct read, which covers the few
// milliseconds before a fresh bind reaches the watch.
import { buckets, casUpdate, decodeKey, encodeKey, readVersioned, type Bus, type KV } from '@cx/bus';
import { sessionv1 } from '@cx/proto';
import type { Logger } from '@cx/log';

export type UserSessions = sessionv1.UserSessions;
export type SessionEntry = sessionv1.SessionEntry;

const EMPTY: UserSessions = { sessions: [] };

/** A value and the KV revision it was read at (0: the key does not exist). */
export interface Versioned {
  value: UserSessions;
  revision: number;
}

/** Deleted keys whose revision is remembered (a bounded number, oldest forgotten first). */
const MAX_TOMBSTONES = 100_000;

export class SessionDirectory {
  private readonly users = new Map<string, Versioned>();
  /**
   * The revision of each recently deleted key (the user went offline): the
   * next bind then writes with one revision-checked update. Without it the
   * KV client's create() fails on the delete marker, reads the key and
   * writes again (three round trips, and an error built each time).
   */
  private readonly tombstones = new Map<string, number>();
  private stopped = false;
  /** The highest bucket revision the mirror has applied (the watch delivers them in order). */
  private applied = 0;
  /** Callers waiting for the mirror to reach a revision. */
  private waiters: { revision: number; done: (ok: boolean) => void }[] = [];

  private constructor(
    readonly kv: KV,
    private readonly log: Logger,
  ) {}

  static async open(bus: Bus, log: Logger): Promise<SessionDirectory> {
    const kv = await bus.bucket(buckets.sessions);
    const dir = new SessionDirectory(kv, log);
    await dir.watch();
    return dir;
  }

  private async watch(): Promise<void> {
    const w = await this.kv.watch({ key: '>' });
    void (async () => {
      for await (const e of w) {
        if (this.stopped) break;
        const bare = decodeKey(e.key);
        if (e.operation === 'PUT' && e.value.length) {
          this.users.set(bare, { value: sessionv1.UserSessions.decode(e.value), revision: e.revision });
          this.tombstones.delete(bare);
        } else {
          this.users.delete(bare);
          this.tombstones.delete(bare);
          this.tombstones.set(bare, e.revision);
          if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value as string);
        }
        if (e.revision > this.applied) this.applied = e.revision;
        if (this.waiters.length) this.release();
      }
    })().catch((err) => this.log.error({ err }, 'session directory watch ended'));
  }

  private release(): void {
    const still = [];
    for (const w of this.waiters) {
      if (w.revision <= this.applied) w.done(true);
      else still.push(w);
    }
    this.waiters = still;
  }

  /**
   * Resolves once the mirror has applied `revision` of the bucket, and so every
   * write before it to any key (false: not within `timeoutMs`). A reader that
   * waits for its own write's revision sees every write that happened before it.
   */
  caughtUp(revision: number, timeoutMs = 2000): Promise<boolean> {
    if (revision <= this.applied || this.stopped) return Promise.resolve(revision <= this.applied);
    return new Promise((resolve) => {
      const w = {
        revision,
        done: (ok: boolean) => {
          clearTimeout(t);
          resolve(ok);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sessions of a bare JID, from the mirror (undefined: not known locally). */
  cached(bare: string): UserSessions | undefined {
    return this.users.get(bare)?.value;
  }

  /** The mirror's value and revision, the starting point of a revision-checked update. */
  versioned(bare: string): Versioned | undefined {
    const hit = this.users.get(bare);
    if (hit) return hit;
    const deletedAt = this.tombstones.get(bare);
    return deletedAt === undefined ? undefined : { value: EMPTY, revision: deletedAt };
  }

  /** Sessions of a bare JID, reading the bucket when the mirror has none. */
  async lookup(bare: string): Promise<UserSessions> {
    const hit = this.users.get(bare);
    if (hit) return hit.value;
    return (await read(this.kv, encodeKey(bare))).value;
  }

  /**
   * Sessions of a bare JID read from the bucket itself, not the mirror: what a
   * write on another replica made of them a moment ago (the mirror may lag).
   */
  async fresh(bare: string): Promise<UserSessions> {
    return (await read(this.kv, encodeKey(bare))).value;
  }

  /** Every online bare JID known to the mirror. */
  *all(): IterableIterator<[string, UserSessions]> {
    for (const [bare, v] of this.users) yield [bare, v.value];
  }

  stop(): void {
    this.stopped = true;
  }
}

export function findSession(u: UserSessions, resource: string): SessionEntry | undefined {
  return u.sessions.find((s) => s.resource === resource);
}

// An entry measured before it is written (a size bound) is encoded once: the write reuses the bytes.
const encoded = new WeakMap<UserSessions, Uint8Array>();

/** The entry as stored (protobuf), encoded once per object. */
export function encodeSessions(v: UserSessions): Uint8Array {
  let b = encoded.get(v);
  if (!b) encoded.set(v, (b = sessionv1.UserSessions.encode(v).finish()));
  return b;
}

const codec = { decode: (b: Uint8Array) => sessionv1.UserSessions.decode(b), encode: encodeSessions };

async function read(kv: KV, key: string): Promise<Versioned> {
  const v = await readVersioned(kv, key, codec);
  return { value: v.value ?? EMPTY, revision: v.revision };
}

/**
 * Update one user's sessions with optimistic concurrency (casUpdate), the
 * first attempt starting from `guess` (the mirror) when given. `change`
 * returns the new value (no sessions deletes the key) or null to leave it alone.
 */
export function updateUser<T>(
  kv: KV,
  bare: string,
  change: (current: UserSessions) => { next: UserSessions | null; result: T },
  guess?: Versioned,
  written?: (revision: number) => void,
): Promise<T> {
  return casUpdate(
    kv,
    encodeKey(bare),
    codec,
    (cur) => {
      const { next, result } = change(cur ?? EMPTY);
      return { next: next === null ? undefined : next.sessions.length === 0 ? null : next, result };
    },
    guess,
    written,
  );
}
