// Who is online where: a local mirror of the JetStream KV bucket of sessions
// (bare JID → UserSessions), kept current by a KV watch, so that routing looks
// up a JID in memory. A miss falls back to a direct read, which covers the few
// milliseconds before a fresh bind reaches the watch.
import { buckets, decodeKey, encodeKey, type Bus, type KV } from '@cx/bus';
import { sessionv1 } from '@cx/proto';
import type { Logger } from '@cx/log';

export type UserSessions = sessionv1.UserSessions;
export type SessionEntry = sessionv1.SessionEntry;

const EMPTY: UserSessions = { sessions: [] };

export class SessionDirectory {
  private readonly users = new Map<string, UserSessions>();
  private stopped = false;

  private constructor(readonly kv: KV, private readonly log: Logger) {}

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
        if (e.operation === 'PUT' && e.value.length) this.users.set(bare, sessionv1.UserSessions.decode(e.value));
        else this.users.delete(bare);
      }
    })().catch((err) => this.log.error({ err }, 'session directory watch ended'));
  }

  /** Sessions of a bare JID, from the mirror (undefined: not known locally). */
  cached(bare: string): UserSessions | undefined {
    return this.users.get(bare);
  }

  /** Sessions of a bare JID, reading the bucket when the mirror has none. */
  async lookup(bare: string): Promise<UserSessions> {
    const hit = this.users.get(bare);
    if (hit) return hit;
    const e = await this.kv.get(encodeKey(bare));
    return e && e.value.length ? sessionv1.UserSessions.decode(e.value) : EMPTY;
  }

  /** Every online bare JID known to the mirror. */
  all(): IterableIterator<[string, UserSessions]> {
    return this.users.entries();
  }

  stop(): void {
    this.stopped = true;
  }
}

export function findSession(u: UserSessions, resource: string): SessionEntry | undefined {
  return u.sessions.find((s) => s.resource === resource);
}

/**
 * Update one user's sessions with optimistic concurrency (KV revision), retrying
 * on a conflicting write from another replica. `change` returns the new value
 * (an empty list deletes the key) or null to leave it alone.
 */
export async function updateUser<T>(
  kv: KV,
  bare: string,
  change: (current: UserSessions) => { next: UserSessions | null; result: T },
): Promise<T> {
  const key = encodeKey(bare);
  for (let attempt = 0; ; attempt++) {
    const e = await kv.get(key);
    const current = e && e.value.length ? sessionv1.UserSessions.decode(e.value) : EMPTY;
    const { next, result } = change(current);
    if (next === null) return result;
    try {
      if (next.sessions.length === 0) {
        if (e && e.value.length) await kv.delete(key, { previousSeq: e.revision });
      } else {
        const bytes = sessionv1.UserSessions.encode(next).finish();
        if (e) await kv.update(key, bytes, e.revision);
        else await kv.create(key, bytes);
      }
      return result;
    } catch (err) {
      if (attempt >= 20 || !isWrongSequence(err)) throw err;
    }
  }
}

function isWrongSequence(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return msg.includes('wrong last sequence') || msg.includes('key exists');
}
