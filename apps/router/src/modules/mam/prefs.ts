// XEP-0313 §6 archiving preferences: default always|never|roster, and JIDs
// always or never archived. Stored per user in KV (only once set: the
// default is 'always'); each router caches what it read for PREFS_TTL_MS,
// so a change made through another router applies there within that time.
import { NS_MAM } from '@cx/modules';
import { child, elements, StanzaError, text, tryParseJid, x, type Element } from '@cx/xmpp-core';
import type { DocStore } from '@cx/modules';

export const PREFS_BUCKET = 'xmpp_mam_prefs';
const PREFS_TTL_MS = 30_000;
const MAX_JIDS = 1000;

export interface Prefs {
  default: 'always' | 'never' | 'roster';
  always: string[];
  never: string[];
}

const DEFAULT: Prefs = { default: 'always', always: [], never: [] };

export class MamPrefs {
  private readonly cache = new Map<string, { prefs: Prefs; at: number }>();

  constructor(
    private readonly store: DocStore,
    private readonly inRoster: (user: string, bare: string) => Promise<boolean>,
  ) {}

  async get(user: string): Promise<Prefs> {
    const hit = this.cached(user);
    if (hit) return hit;
    const raw = await this.store.get([user]);
    const prefs = raw ? (JSON.parse(new TextDecoder().decode(raw)) as Prefs) : DEFAULT;
    this.cache.set(user, { prefs, at: Date.now() });
    if (this.cache.size > 50_000) this.cache.delete(this.cache.keys().next().value as string);
    return prefs;
  }

  private cached(user: string): Prefs | undefined {
    const hit = this.cache.get(user);
    return hit && Date.now() - hit.at < PREFS_TTL_MS ? hit.prefs : undefined;
  }

  async set(user: string, prefs: Prefs): Promise<void> {
    await this.store.put([user], new TextEncoder().encode(JSON.stringify(prefs)));
    this.cache.set(user, { prefs, at: Date.now() });
  }

  async remove(user: string): Promise<void> {
    this.cache.delete(user);
    await this.store.removeAll([user]);
  }

  /** Does `user` archive messages with `other` (a JID)? never wins over always (§6.1). Synchronous when the preferences are cached. */
  wanted(user: string, other: string): boolean | Promise<boolean> {
    const hit = this.cached(user);
    if (hit) return this.decide(hit, user, other);
    return this.get(user).then((p) => this.decide(p, user, other));
  }

  private decide(p: Prefs, user: string, other: string): boolean | Promise<boolean> {
    if (p === DEFAULT) return true;
    const bare = other.split('/')[0].toLowerCase();
    if (p.never.includes(bare)) return false;
    if (p.always.includes(bare)) return true;
    if (p.default === 'roster') return this.inRoster(user, bare);
    return p.default === 'always';
  }
}

/** <prefs/> as stored, for a get or the answer to a set. */
export function prefsElement(p: Prefs): Element {
  const list = (name: string, jids: string[]) =>
    x(
      name,
      {},
      jids.map((j) => x('jid', {}, j)),
    );
  return x('prefs', { xmlns: NS_MAM, default: p.default }, list('always', p.always), list('never', p.never));
}

/** A <prefs/> a client set, or bad-request. */
export function parsePrefs(el: Element): Prefs | StanzaError {
  const d = el.attrs.default;
  if (d !== 'always' && d !== 'never' && d !== 'roster') return new StanzaError('bad-request', 'default must be always, never or roster');
  const jids = (name: string): string[] | undefined => {
    const out: string[] = [];
    for (const j of elements(child(el, name) ?? x('none')).filter((c) => c.getName() === 'jid')) {
      const jid = tryParseJid(text(j).trim());
      if (!jid) return undefined;
      out.push(jid.bare.toString());
    }
    return out;
  };
  const always = jids('always');
  const never = jids('never');
  if (!always || !never) return new StanzaError('jid-malformed');
  if (always.length + never.length > MAX_JIDS) return new StanzaError('not-acceptable', `at most ${MAX_JIDS} JIDs`);
  return { default: d, always, never };
}
