// XEP-0115 entity capabilities of clients, cluster-wide: a client's
// presence carries <c node ver hash/>; the features behind a ver are asked
// once (disco#info to one client that showed it, §6.2), checked against the
// ver (§5.4: the hash of what it answered), and kept in the KV bucket
// xmpp_caps by hash and ver for every router, plus a copy in memory. PEP
// uses them for filtered notifications (XEP-0163 §4: `<node>+notify`).
import { createHash } from 'node:crypto';
import { encodeKey, type Bus, type KV } from '@cx/bus';
import { elementFromBytes } from '@cx/stanza';
import { NS, type Element } from '@cx/xmpp-core';

export const CAPS_BUCKET = 'xmpp_caps';
/** A ver is asked again when its features are older than this (they never change: this bounds the bucket). */
const TTL_MS = 30 * 24 * 3600 * 1000;
/** A query nobody answered may be asked again after this. */
const ASKING_MS = 30_000;
const MEMORY = 10_000;
/** Queries one router starts per minute at most: a client inventing vers cannot make it write and ask without end. */
const ASKS_PER_MINUTE = 120;
/** The bucket's bound; past it, new vers are not recorded until old ones expire (existing ones keep working). */
const BUCKET_BYTES = 64 * 1024 * 1024;

const HASHES: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

export interface Caps {
  node: string;
  ver: string;
  hash: string;
}

/** The <c/> of a presence (legacy caps without hash are not used). */
export function capsOf(presence: Element | undefined): Caps | undefined {
  const c = presence?.getChild('c', NS.CAPS);
  const { node, ver, hash } = (c?.attrs ?? {}) as Record<string, string | undefined>;
  if (!node || !ver || !hash || !HASHES[hash] || ver.length > 128 || node.length > 1024) return undefined;
  return { node, ver, hash };
}

const CAPS_MARK = Buffer.from(NS.CAPS);

/** The caps of a stored presence; one without the caps namespace is not parsed (a login's presence from a tool). */
export function capsOfBytes(presence: Uint8Array): Caps | undefined {
  if (!presence.length || !Buffer.from(presence.buffer, presence.byteOffset, presence.byteLength).includes(CAPS_MARK)) return undefined;
  return capsOf(elementFromBytes(presence));
}

const octets = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** §5.1 / §5.4: the verification string of a disco#info answer, data forms included. */
export function verificationString(query: Element): string {
  const ids = query
    .getChildren('identity')
    .map((i) => ({ c: i.attrs.category ?? '', t: i.attrs.type ?? '', l: i.attrs['xml:lang'] ?? '', n: i.attrs.name ?? '' }))
    .sort((a, b) => octets(a.c, b.c) || octets(a.t, b.t) || octets(a.l, b.l))
    .map((i) => `${i.c}/${i.t}/${i.l}/${i.n}<`);
  const features = [...new Set(query.getChildren('feature').map((f) => f.attrs.var as string))].sort(octets).map((f) => `${f}<`);
  const forms = query
    .getChildren('x', 'jabber:x:data')
    .map((form) => {
      const fields = form.getChildren('field');
      const type = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value') ?? '';
      const rest = fields
        .filter((f) => f.attrs.var !== 'FORM_TYPE')
        .sort((a, b) => octets(a.attrs.var ?? '', b.attrs.var ?? ''))
        .map(
          (f) =>
            `${f.attrs.var}<${f
              .getChildren('value')
              .map((v) => v.getText())
              .sort(octets)
              .map((v) => `${v}<`)
              .join('')}`,
        );
      return { type, s: `${type}<${rest.join('')}` };
    })
    .sort((a, b) => octets(a.type, b.type))
    .map((f) => f.s);
  return [...ids, ...features, ...forms].join('');
}

/** Does this disco#info answer hash to `ver` (§5.4 step 3)? */
export function verifies(query: Element, caps: Pick<Caps, 'ver' | 'hash'>): boolean {
  const algo = HASHES[caps.hash];
  return !!algo && createHash(algo).update(verificationString(query), 'utf8').digest('base64') === caps.ver;
}

interface Entry {
  /** The features, or absent while a router asks. */
  f?: string[];
  /** When a router started asking (ms). */
  asking?: number;
}

const capsKey = (c: Pick<Caps, 'hash' | 'ver'>) => encodeKey(`${c.hash}:${c.ver}`);

export class CapsCache {
  private readonly memory = new Map<string, ReadonlySet<string>>();

  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<CapsCache> {
    return new CapsCache(await bus.bucket(CAPS_BUCKET, { maxValueSize: 64 * 1024, ttl: TTL_MS, max_bytes: BUCKET_BYTES }));
  }

  /** The features behind caps, if known (memory, else the bucket). */
  async features(c: Caps): Promise<ReadonlySet<string> | undefined> {
    const key = capsKey(c);
    const hit = this.memory.get(key);
    if (hit) return hit;
    const e = await this.read(key);
    if (!e?.f) return undefined;
    return this.remember(key, e.f);
  }

  /** Known only from memory (no wait): for hot paths that may skip. */
  cached(c: Caps): ReadonlySet<string> | undefined {
    return this.memory.get(capsKey(c));
  }

  /**
   * Caps seen in a presence: true when this router should ask the client
   * (nobody knows them, and nobody asked in the last ASKING_MS).
   */
  async shouldAsk(c: Caps): Promise<boolean> {
    const key = capsKey(c);
    if (this.memory.has(key)) return false;
    const e = await this.kv.get(key);
    const cur: Entry | undefined = e && e.operation === 'PUT' && e.value.length ? decode(e.value) : undefined;
    if (cur?.f) {
      this.remember(key, cur.f);
      return false;
    }
    if (cur?.asking && Date.now() - cur.asking < ASKING_MS) return false;
    if (!this.mayAsk()) return false;
    try {
      const value = encode({ asking: Date.now() });
      if (e && e.revision) await this.kv.update(key, value, e.revision);
      else await this.kv.create(key, value);
      return true;
    } catch {
      return false; // another router asks
    }
  }

  /** A client answered: its features are recorded when the answer hashes to the ver. */
  async answered(c: Caps, query: Element): Promise<boolean> {
    if (!verifies(query, c)) return false;
    const f = [...new Set(query.getChildren('feature').map((x) => x.attrs.var as string))];
    await this.kv.put(capsKey(c), encode({ f }));
    this.remember(capsKey(c), f);
    return true;
  }

  /** Wait (polling) until someone has recorded the features, at most `ms`. */
  async await(c: Caps, ms = 10_000, every = 250): Promise<ReadonlySet<string> | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const f = await this.features(c);
      if (f || Date.now() >= until) return f;
      await new Promise((r) => setTimeout(r, every));
    }
  }

  private window = { start: 0, asks: 0 };

  private mayAsk(now = Date.now()): boolean {
    if (now - this.window.start >= 60_000) this.window = { start: now, asks: 0 };
    return ++this.window.asks <= ASKS_PER_MINUTE;
  }

  private async read(key: string): Promise<Entry | undefined> {
    const e = await this.kv.get(key);
    return e && e.operation === 'PUT' && e.value.length ? decode(e.value) : undefined;
  }

  private remember(key: string, f: string[]): ReadonlySet<string> {
    if (this.memory.size >= MEMORY) this.memory.delete(this.memory.keys().next().value as string);
    const set = new Set(f);
    this.memory.set(key, set);
    return set;
  }
}

const encode = (e: Entry) => new Uint8Array(Buffer.from(JSON.stringify(e), 'utf8'));
const decode = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8')) as Entry;
