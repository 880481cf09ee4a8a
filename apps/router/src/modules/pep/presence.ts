// PEP and presence: learning a client's caps (XEP-0115 §6.2: ask the client
// once per unknown ver, cluster-wide through CapsCache) and sending the last
// published items when a session comes online (XEP-0163 §4.3.3: to a
// contact's resource whose caps ask for the node, for every node of the
// account owner and of the contacts it is subscribed to).
import { STOP } from '@cx/modules';
import { capsOf, capsOfBytes, type CapsCache, type Caps, type PepStore } from '@cx/pubsub';
import { hasTo } from '@cx/roster';
import { StanzaKind } from '@cx/stanza';
import { NS, tryParseJid, x, type Element, type Jid } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';
import type { SessionEntry } from '@cx/session-directory';
import type { InitialPresence, PresenceAllowed, StanzaIn } from '../module';
import type { Router } from '../../routing';
import type { RosterItemOf } from './access';
import { allowedBy } from './access';
import { countCapsQuery } from './metrics';
import type { Pep } from './pep';

const CAPS_ID = 'pepcaps';
const capsNs = Buffer.from(NS.CAPS);

export interface CapsDiscoveryDeps {
  domain: string;
  caps: CapsCache;
  router: Pick<Router, 'toSender' | 'parse'>;
  log: Logger;
  /** The sender's session as the registry mirror has it (before this presence is recorded). */
  session(bare: string, connectionId: string): SessionEntry | undefined;
  /** An available session's caps changed: send what it now asks for (XEP-0163 §4.3.3). */
  capsChanged(user: string, bare: string, session: SessionEntry, now: Caps, before: Caps | undefined): void;
}

/**
 * The 'stanza-in' handler: a client's own presence with caps nobody knows
 * makes this router ask it (one router in the cluster, once per ver); the
 * answer (an iq result to the domain with our id) is recorded and stopped.
 */
export function capsDiscovery(d: CapsDiscoveryDeps) {
  return ({ s, sender, to }: StanzaIn): typeof STOP | undefined => {
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE && s.to === '' && s.type === '') {
      if (!Buffer.from(s.xml.buffer, s.xml.byteOffset, s.xml.byteLength).includes(capsNs)) return undefined;
      const c = capsOf(d.router.parse(s));
      if (!c) return undefined;
      if (!d.caps.cached(c)) void ask(d, c, sender).catch((err: Error) => d.log.warn({ err }, 'caps query failed'));
      const bare = sender.jid.bare.toString();
      const prev = d.session(bare, sender.connectionId);
      if (prev?.available) {
        const before = capsOfBytes(prev.presence);
        if (before?.ver !== c.ver || before.hash !== c.hash) d.capsChanged(sender.jid.local, bare, prev, c, before);
      }
      return undefined;
    }
    if (s.kind === StanzaKind.STANZA_KIND_IQ && to.local === '' && !to.resource && s.id.startsWith(`${CAPS_ID}.`)) {
      if (s.type === 'result') {
        const el = d.router.parse(s);
        if (el) void answered(d, s.id, el).catch((err: Error) => d.log.warn({ err }, 'caps answer not recorded'));
      }
      return STOP;
    }
    return undefined;
  };
}

async function ask(d: CapsDiscoveryDeps, c: Caps, sender: Parameters<Router['toSender']>[0]): Promise<void> {
  if (!(await d.caps.shouldAsk(c))) return;
  countCapsQuery('asked');
  const id = `${CAPS_ID}.${c.hash}.${Math.random().toString(36).slice(2, 10)}`;
  d.router.toSender(
    sender,
    x('iq', { type: 'get', from: d.domain, to: sender.jid.toString(), id }, x('query', { xmlns: NS.DISCO_INFO, node: `${c.node}#${c.ver}` })),
  );
}

async function answered(d: CapsDiscoveryDeps, id: string, iq: Element): Promise<void> {
  const hash = id.split('.')[1] ?? '';
  const query = iq.getChild('query', NS.DISCO_INFO);
  const node = query?.attrs.node as string | undefined;
  if (!query || !node || !node.includes('#')) return;
  const at = node.lastIndexOf('#');
  const ok = await d.caps.answered({ node: node.slice(0, at), ver: node.slice(at + 1), hash }, query);
  countCapsQuery(ok ? 'recorded' : 'unverified');
}

export interface LastItemsDeps {
  domain: string;
  caps: CapsCache;
  store: PepStore;
  pep: Pep;
  itemOf: RosterItemOf;
  roster(user: string): Promise<{ items: Parameters<typeof hasTo>[0][] }>;
  sessions(bare: string): Promise<SessionEntry[]>;
  /** XEP-0191: does the owner block this JID? */
  blocks?(owner: string, jid: Jid): boolean;
  log: Logger;
}

/** The 'presence-initial' handler: the last items go out in the background (the caps may still be asked). */
export function lastItemsOnline(d: LastItemsDeps) {
  return (ev: InitialPresence): void => {
    const c = capsOfBytes(ev.me.presence);
    if (!c) return;
    void notifyNodes(d.caps, c)
      .then((wanted) => sendLastItems(d, ev, wanted))
      .catch((err: Error) => d.log.warn({ err, user: ev.user }, 'last published items not sent'));
  };
}

/**
 * An available session now shows other caps (a client that sent its caps
 * after its initial presence, or changed its interests): the last items of
 * the nodes it did not ask for before.
 */
export function lastItemsOnCapsChange(d: LastItemsDeps) {
  return (user: string, bare: string, me: SessionEntry, now: Caps, before: Caps | undefined): void => {
    void (async () => {
      const wanted = await notifyNodes(d.caps, now);
      const had = before ? await notifyNodes(d.caps, before, 0) : new Set<string>();
      for (const n of had) wanted.delete(n);
      await sendLastItems(d, { user, bare, me }, wanted);
    })().catch((err: Error) => d.log.warn({ err, user }, 'last published items not sent'));
  };
}

/** The nodes caps ask notifications for (`<node>+notify`), waiting up to `waitMs` for unknown caps to be learnt. */
async function notifyNodes(caps: CapsCache, c: Caps, waitMs = 10_000): Promise<Set<string>> {
  const features = waitMs ? await caps.await(c, waitMs) : await caps.features(c);
  return new Set([...(features ?? [])].filter((f) => f.endsWith('+notify')).map((f) => f.slice(0, -'+notify'.length)));
}

/**
 * A contact may now see the user's presence (an approved subscription, an
 * unblock): its available resources get the user's last items they ask for.
 */
export function lastItemsOnGrant(d: LastItemsDeps) {
  return ({ user, toBare }: PresenceAllowed): void => {
    const j = tryParseJid(toBare);
    if (!j || j.domain !== d.domain || !j.local) return;
    void (async () => {
      for (const me of (await d.sessions(toBare)).filter((s) => s.available)) {
        const c = capsOfBytes(me.presence);
        if (c) await sendLastItems(d, { user: j.local, bare: toBare, me }, await notifyNodes(d.caps, c, 0), [user]);
      }
    })().catch((err: Error) => d.log.warn({ err, user }, 'last published items not sent'));
  };
}

async function sendLastItems(
  d: LastItemsDeps,
  { user, bare, me }: Pick<InitialPresence, 'user' | 'bare' | 'me'>,
  wanted: ReadonlySet<string>,
  only?: readonly string[],
): Promise<void> {
  if (!wanted.size) return;
  const contacts =
    only ??
    (await d.roster(user)).items
      .filter(hasTo)
      .map((i) => tryParseJid(i.jid))
      .filter((j) => !!j && j.domain === d.domain && !!j.local)
      .map((j) => j!.local);
  const target = [{ bare, session: me }];
  for (const owner of only ?? [user, ...new Set(contacts)]) {
    const idx = await d.store.index(owner);
    for (const node of Object.keys(idx)) {
      if (!wanted.has(node)) continue;
      const n = await d.store.node(owner, node);
      if (!n || n.config.sendLastPublishedItem !== 'on_sub_and_presence' || !n.config.deliverNotifications) continue;
      if (owner !== user && n.config.accessModel !== 'open' && !allowedBy(n.config, await d.itemOf(owner, bare))) continue;
      if (owner !== user && d.blocks?.(owner, tryParseJid(bare)!)) continue;
      d.pep.lastItem(owner, node, n, target);
    }
  }
}
