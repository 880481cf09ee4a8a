// Rooms in JetStream KV (bucket xmpp_muc): one key per room (r.<room>), read
// on demand and written with a revision check (casUpdate), so two writers
// never lose an update. The replica that owns a room's partition (the one
// that handles its stanzas) keeps it in memory while it is in use (useCache)
// and drops it after MUC_ROOM_IDLE_S, so idle rooms hold no memory; and
// one key per occupant's full JID (o.<jid>) listing its rooms, so a session
// that ends leaves them. Bounded: a room's stored size (MUC_MAX_ROOM_BYTES)
// and its occupants (MUC_MAX_OCCUPANTS).
import { casUpdate, encodeKey, decodeKey, isConflict, readVersioned, type Bus, type CasCodec, type Decision, type KV, type Versioned } from '@cx/bus';
import type { Room } from './room';

export const MUC_BUCKET = 'xmpp_muc';
/** The rooms' partitioned inbox (@cx/bus OwnedPartitions): stream xmpp_muc_in, bucket xmpp_muc_leases. */
export const MUC_PARTITIONED = 'muc';

export interface MucLimits {
  /** Bytes of one stored room (config, affiliations, occupants, subject). */
  maxRoomBytes: number;
  /** Occupants of one room at most, whatever its muc#roomconfig_maxusers. */
  maxOccupants: number;
  /** Bytes of a room's vCard (its avatar, XEP-0486), stored apart from the room (v.<room>). */
  maxAvatarBytes: number;
}

export const DEFAULT_MUC_LIMITS: MucLimits = { maxRoomBytes: 256 * 1024, maxOccupants: 500, maxAvatarBytes: 64 * 1024 };

const json = <V>(): CasCodec<V> => ({
  decode: (b) => JSON.parse(new TextDecoder().decode(b)) as V,
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
});
const plainRoom = json<Room>();
/** Encodings fit() made (the size check), so the write that follows does not encode the same room again. */
const encoded = new WeakMap<Room, Uint8Array>();
const roomCodec: CasCodec<Room> = { decode: plainRoom.decode, encode: (r) => encoded.get(r) ?? plainRoom.encode(r) };
const listCodec = json<string[]>();

/** A write refused: the room would pass MUC_MAX_ROOM_BYTES. */
export const TOO_BIG = 'too-big' as const;

/** Which rooms this replica handles (owns their partition), and how long an unused one stays in memory. */
export interface RoomCachePolicy {
  owns(name: string): boolean;
  idleMs: number;
}

interface Cached extends Versioned<Room> {
  used: number;
}

export class RoomStore {
  private readonly cache = new Map<string, Cached>();
  private policy?: RoomCachePolicy;
  private sweeper?: NodeJS.Timeout;

  private constructor(
    private readonly kv: KV,
    readonly limits: MucLimits,
  ) {}

  static async open(bus: Bus, limits: Partial<MucLimits> = {}): Promise<RoomStore> {
    const l = { ...DEFAULT_MUC_LIMITS, ...limits };
    return new RoomStore(await bus.bucket(MUC_BUCKET, { maxValueSize: Math.max(l.maxRoomBytes, l.maxAvatarBytes) + 4096 }), l);
  }

  /**
   * Keep the rooms `policy.owns` names in memory: this replica is their only
   * writer (account removal aside, which the revision check catches: a write
   * on a stale copy fails, and the room is read again). Returns the stop.
   */
  useCache(policy: RoomCachePolicy): () => void {
    this.policy = policy;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, policy.idleMs / 2));
    this.sweeper.unref();
    return () => {
      clearInterval(this.sweeper);
      this.cache.clear();
    };
  }

  /** Drop the cached rooms `which` names (their partition went to another replica). */
  forget(which: (name: string) => boolean): void {
    for (const name of this.cache.keys()) if (which(name)) this.cache.delete(name);
  }

  /** Rooms held in memory now (a metric). */
  get cached(): number {
    return this.cache.size;
  }

  private sweep(): void {
    const old = Date.now() - (this.policy?.idleMs ?? 0);
    for (const [name, c] of this.cache) if (c.used < old) this.cache.delete(name);
  }

  private key(name: string): string {
    return `r.${encodeKey(name)}`;
  }

  private async load(name: string): Promise<Cached> {
    const v = await readVersioned(this.kv, this.key(name), roomCodec);
    const c = { ...v, used: Date.now() };
    if (this.policy?.owns(name)) this.cache.set(name, c);
    return c;
  }

  async room(name: string): Promise<Room | null> {
    const c = this.policy?.owns(name) ? this.cache.get(name) : undefined;
    if (c) {
      c.used = Date.now();
      return c.value;
    }
    return (await this.load(name)).value;
  }

  /** Change a room with a revision check (decide may run again on a conflict); past maxRoomBytes the oldest history goes, then TOO_BIG. */
  async update<T>(name: string, decide: (cur: Room | null) => Decision<Room, T>): Promise<T | typeof TOO_BIG> {
    const fitting = (cur: Room | null) => this.fit(decide(cur));
    if (!this.policy?.owns(name)) return casUpdate<Room, T | typeof TOO_BIG>(this.kv, this.key(name), roomCodec, fitting);
    let cur = this.cache.get(name) ?? (await this.load(name));
    for (let attempt = 0; ; attempt++) {
      const { next, result } = fitting(cur.value);
      if (next === undefined) return result;
      try {
        if (next === null) {
          if (cur.revision) await this.kv.delete(this.key(name), { previousSeq: cur.revision });
          this.cache.set(name, { value: null, revision: 0, used: Date.now() });
        } else {
          const key = this.key(name);
          const bytes = roomCodec.encode(next);
          const revision = cur.revision ? await this.kv.update(key, bytes, cur.revision) : await this.kv.create(key, bytes);
          this.cache.set(name, { value: next, revision, used: Date.now() });
        }
        return result;
      } catch (err) {
        this.cache.delete(name);
        if (attempt >= 10 || !isConflict(err)) throw err;
        cur = await this.load(name);
      }
    }
  }

  /** History gives way first: the oldest kept messages go until the room fits (TOO_BIG when it still does not). */
  private fit<T>(d: Decision<Room, T>): Decision<Room, T | typeof TOO_BIG> {
    if (!d.next) return d;
    let next = d.next;
    let bytes = plainRoom.encode(next);
    while (bytes.length > this.limits.maxRoomBytes) {
      if (!next.history?.length) return { next: undefined, result: TOO_BIG };
      next = { ...next, history: next.history.slice(1) };
      bytes = plainRoom.encode(next);
    }
    encoded.set(next, bytes);
    return { next, result: d.result };
  }

  /** Every room's name (disco#items of the service). */
  async names(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys('r.*')) out.push(decodeKey(k.slice(2)));
    return out;
  }

  /**
   * An account is removed: its affiliations go from every room (a new account
   * of the same name must not inherit them); a room left with neither owner
   * nor occupant goes. Reads every room: fine while rooms number thousands.
   */
  async removeUser(bare: string): Promise<void> {
    for (const name of await this.names()) {
      await this.update(name, (cur) => {
        if (!cur || !(bare in cur.affiliations)) return { next: undefined, result: undefined };
        const affiliations = { ...cur.affiliations };
        delete affiliations[bare];
        const orphan = !Object.values(affiliations).includes('owner') && cur.occupants.length === 0;
        return { next: orphan ? null : { ...cur, affiliations }, result: undefined };
      });
    }
  }

  /** The room's vCard as XML (v.<room>), kept apart so the room record stays small; null: none set. */
  async vcard(name: string): Promise<string | null> {
    const e = await this.kv.get(`v.${encodeKey(name)}`);
    return e && e.operation === 'PUT' && e.value.length ? new TextDecoder().decode(e.value) : null;
  }

  /** Store (or with null, remove) the room's vCard; past maxAvatarBytes: TOO_BIG, nothing written. */
  async setVcard(name: string, xml: string | null): Promise<void | typeof TOO_BIG> {
    const key = `v.${encodeKey(name)}`;
    if (xml === null) return void (await this.kv.delete(key));
    const bytes = new TextEncoder().encode(xml);
    if (bytes.length > this.limits.maxAvatarBytes) return TOO_BIG;
    await this.kv.put(key, bytes);
  }

  /** The rooms a full JID is in. */
  async roomsOf(jid: string): Promise<string[]> {
    const e = await this.kv.get(`o.${encodeKey(jid)}`);
    return e && e.operation === 'PUT' && e.value.length ? listCodec.decode(e.value) : [];
  }

  async setIn(jid: string, room: string, inRoom: boolean): Promise<void> {
    await casUpdate<string[], void>(this.kv, `o.${encodeKey(jid)}`, listCodec, (cur) => {
      const rooms = cur ?? [];
      const has = rooms.includes(room);
      if (has === inRoom) return { next: undefined, result: undefined };
      const next = inRoom ? [...rooms, room] : rooms.filter((r) => r !== room);
      return { next: next.length ? next : null, result: undefined };
    });
  }
}
