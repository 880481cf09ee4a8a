// Optimistic concurrency on one KV key: read (or start from a guess), decide,
// write naming the revision read; when another writer got there first, read
// again and decide again. Every read-modify-write of shared state uses this,
// so concurrent replicas never lose an update.
import type { KV } from '@nats-io/kv';

export interface Versioned<V> {
  value: V | null;
  /** 0: the key does not exist (or was deleted). */
  revision: number;
}

export interface Decision<V, T> {
  /** The value to write; null deletes the key; undefined leaves it alone. */
  next: V | null | undefined;
  result: T;
}

export interface CasCodec<V> {
  decode(bytes: Uint8Array): V;
  encode(value: V): Uint8Array;
}

export async function readVersioned<V>(kv: KV, key: string, codec: CasCodec<V>): Promise<Versioned<V>> {
  const e = await kv.get(key);
  if (!e || e.operation !== 'PUT' || e.value.length === 0) return { value: null, revision: e?.revision ?? 0 };
  return { value: codec.decode(e.value), revision: e.revision };
}

const MAX_ATTEMPTS = 50;

/** A write refused because the key's revision moved (another writer got there first). */
export function isConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/.test(String((err as Error)?.message ?? err));
}

/**
 * Change one key with a revision check, retrying on conflicts. With `guess`
 * (e.g. from a watch mirror) the first attempt saves a read; a guess that says
 * "nothing to do" is checked against a fresh read before it is believed.
 * `written` gets the revision of a value written (not of a delete).
 */
export async function casUpdate<V, T>(
  kv: KV,
  key: string,
  codec: CasCodec<V>,
  decide: (current: V | null) => Decision<V, T>,
  guess?: Versioned<V>,
  written?: (revision: number) => void,
): Promise<T> {
  let cur = guess ?? (await readVersioned(kv, key, codec));
  let fresh = guess === undefined;
  for (let attempt = 0; ; attempt++) {
    const { next, result } = decide(cur.value);
    if (next === undefined) {
      if (fresh) return result;
    } else {
      try {
        if (next === null) {
          if (cur.revision) await kv.delete(key, { previousSeq: cur.revision });
        } else {
          const revision = cur.revision ? await kv.update(key, codec.encode(next), cur.revision) : await kv.create(key, codec.encode(next));
          written?.(revision);
        }
        return result;
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isConflict(err)) throw err;
        // Many writers on one key: back off a little, at random, so they do not collide again.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, 50)));
      }
    }
    cur = await readVersioned(kv, key, codec);
    fresh = true;
  }
}
