// Retracted messages of an archive (XEP-0425 moderation, XEP-0424 tombstones):
// the stream's entries are never rewritten (an entry holds several messages
// and chains to the one before it), so a retraction is kept beside them, in
// KV (bucket xmpp_mam_retracted, one key per archive: stanza-id → the
// tombstone's XML), and applied to every page as it is read. Paging is
// unchanged: a tombstone keeps its message's id, time and peer.
import { casUpdate, encodeKey, type Bus, type CasCodec, type KV } from '@cx/bus';
import type { ArchivedMessage } from './archive';

export const RETRACTED_BUCKET = 'xmpp_mam_retracted';
/** Bytes of one archive's tombstones; a retraction beyond is refused (the message stays). */
export const MAX_RETRACTED_BYTES = 512 * 1024;

type Tombstones = Record<string, string>;

const codec: CasCodec<Tombstones> = {
  decode: (b) => JSON.parse(new TextDecoder().decode(b)) as Tombstones,
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
};

/** Refused: the archive holds MAX_RETRACTED_BYTES of tombstones already. */
export const RETRACTIONS_FULL = 'full' as const;

export class Retractions {
  constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<Retractions> {
    return new Retractions(await bus.bucket(RETRACTED_BUCKET, { maxValueSize: MAX_RETRACTED_BYTES + 4096 }));
  }

  private key(user: string): string {
    return encodeKey(user);
  }

  async get(user: string): Promise<Tombstones> {
    const e = await this.kv.get(this.key(user));
    return e && e.operation === 'PUT' && e.value.length ? codec.decode(e.value) : {};
  }

  /** Keep `xml` as the message `id`'s tombstone (a later retraction of the same id replaces it). */
  async add(user: string, id: string, xml: string): Promise<void | typeof RETRACTIONS_FULL> {
    return casUpdate<Tombstones, void | typeof RETRACTIONS_FULL>(this.kv, this.key(user), codec, (cur) => {
      const next = { ...(cur ?? {}), [id]: xml };
      if (codec.encode(next).length > MAX_RETRACTED_BYTES) return { next: undefined, result: RETRACTIONS_FULL };
      return { next, result: undefined };
    });
  }

  async remove(user: string): Promise<void> {
    await this.kv.delete(this.key(user));
  }
}

/** The page's messages with the retracted ones replaced by their tombstones. */
export function applyTombstones(items: ArchivedMessage[], tombstones: Tombstones): ArchivedMessage[] {
  if (!Object.keys(tombstones).length) return items;
  return items.map((m) => (Object.hasOwn(tombstones, m.id) ? { ...m, xml: tombstones[m.id] } : m));
}
