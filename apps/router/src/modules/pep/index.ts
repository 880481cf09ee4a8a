// XEP-0163 Personal Eventing Protocol on XEP-0060 with XEP-0223
// publish-options: every account is a pubsub service (its bare JID); nodes
// live in @cx/pubsub's PepStore (KV xmpp_pep, bounded per user: PEP_*),
// notifications follow presence subscriptions and the contacts' caps
// (cluster-wide cache, KV xmpp_caps). docs/architecture.md, "Personal eventing (PEP)".
import { PASS, REPLIED, type IqContext, type IqOutcome } from '@cx/modules';
import { iqResult, StanzaError, type Element, type Jid } from '@cx/xmpp-core';
import { CapsCache, PepStore } from '@cx/pubsub';
import { countStoreRejection } from '../../metrics';
import type { RouterContext, RouterModule } from '../module';
import { serverModule } from '../served';
import type { RosterItemOf } from './access';
import { discoInfo, discoItems } from './disco';
import { Pep, type Ask } from './pep';
import { AvatarSync, presenceHash } from './avatar';
import { BookmarkSync, NS_STORAGE } from './bookmarks';
import { capsDiscovery, lastItemsOnCapsChange, lastItemsOnGrant, lastItemsOnline } from './presence';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const PRIVATE_SET = 'iq-set/self/jabber:iq:private:query';

const VCARD_SET = 'iq-set/self/vcard-temp:vCard';

/** XEP-0398: a vCard is stored as ever (the vcard module's handler), then its PHOTO becomes the PEP avatar. */
function avatarInVcard(sync: AvatarSync, log: RouterContext['log']) {
  const store = serverModule('vcard').handlers?.[VCARD_SET];
  return async (i: IqContext): Promise<IqOutcome> => {
    if (!store) return PASS;
    const out = await store(i);
    if (out !== null) return out;
    i.reply(iqResult(i.iq));
    void sync.fromVcard(i.user, i.payload).catch((err: Error) => log.warn({ err, user: i.user }, 'vCard photo not copied to PEP'));
    return REPLIED;
  };
}

/** XEP-0411: a private XML set of XEP-0048 bookmarks is stored as ever (the private module's handler), then copied to PEP. */
function bookmarksInPrivate(sync: BookmarkSync, log: RouterContext['log']) {
  const store = serverModule('private').handlers?.[PRIVATE_SET];
  return async (i: IqContext): Promise<IqOutcome> => {
    const storage = i.payload.getChild('storage', NS_STORAGE);
    if (!storage || !store) return PASS;
    const out = await store(i);
    if (out === null) {
      i.reply(iqResult(i.iq));
      void sync.fromPrivate(i.user, storage).catch((err: Error) => log.warn({ err, user: i.user }, 'bookmarks not copied to PEP'));
      return REPLIED;
    }
    return out;
  };
}

export const pepModule: RouterModule = {
  name: 'pep',
  serves: serverModule('pep'),
  requires: {
    presence: "notifications follow contacts' presence and caps, and last published items go out at initial presence, which the presence module handles",
  },
  async setup(ctx: RouterContext) {
    const { config, domain } = ctx;
    const store = await PepStore.open(ctx.bus, { maxBytes: config.PEP_MAX_BYTES, maxNodes: config.PEP_MAX_NODES, maxItems: config.PEP_MAX_ITEMS });
    const caps = await CapsCache.open(ctx.bus);
    const roster = (user: string) => ctx.rosters.get(user);
    const itemOf: RosterItemOf = async (owner, asker) => (await roster(owner)).items.find((i) => i.jid === asker);
    const opts = { module: 'pep' };
    const mirrored = (bare: string) => ctx.directory.cached(bare)?.sessions ?? [];
    const pep: Pep = new Pep({
      domain,
      out: ctx.out,
      caps,
      roster,
      mirrored,
      store,
      itemOf,
      rejected: () => countStoreRejection('pep'),
      blocks: (owner, jid) => ctx.shared.blocks?.(owner, jid) ?? false,
      changed: async (owner, node): Promise<void> => {
        await bookmarks.changed(owner, node);
        await avatars.changed(owner, node);
      },
    });
    const bookmarks: BookmarkSync = new BookmarkSync(pep, ctx.deps, ctx.log);
    const avatars: AvatarSync = new AvatarSync(pep, ctx.deps, ctx.log);
    const enabled = (name: string) => ctx.host.modules.some((m) => m.name === name);
    if (enabled('private')) ctx.host.handle(PRIVATE_SET, bookmarksInPrivate(bookmarks, ctx.log), { priority: 10, ...opts });
    if (enabled('vcard')) ctx.host.handle(VCARD_SET, avatarInVcard(avatars, ctx.log), { priority: 10, ...opts });

    // The answer first, then the events it causes (sent through `later`).
    const serve =
      (fn: (payload: Element, a: Ask) => Promise<Element | null | StanzaError>, self: boolean) =>
      async (i: IqContext): Promise<IqOutcome> => {
        const later: Array<() => Promise<void>> = [];
        const out = await fn(i.payload, { from: i.from, owner: i.target, self, later: (f) => later.push(f) });
        if (out instanceof StanzaError || !later.length) return out;
        i.reply(iqResult(i.iq, out ?? undefined));
        for (const f of later) void f().catch((err: Error) => ctx.log.warn({ err, user: i.target }, 'PEP events not sent'));
        return REPLIED;
      };
    for (const type of ['get', 'set'] as const) {
      for (const target of ['self', 'bare'] as const) {
        const self = target === 'self';
        ctx.host.handle(
          `iq-${type}/${target}/${PUBSUB}:pubsub`,
          serve((p, a) => pep.pubsub(type, p, a), self),
          opts,
        );
        ctx.host.handle(
          `iq-${type}/${target}/${PUBSUB}#owner:pubsub`,
          serve((p, a) => pep.owner(type, p, a), self),
          opts,
        );
      }
    }
    // Before the account module's disco handlers (priority 0): nodes and their items.
    const disco = { domain, store, itemOf };
    for (const target of ['self', 'bare'] as const) {
      ctx.host.handle(`iq-get/${target}/http://jabber.org/protocol/disco#items:query`, discoItems(disco), { priority: 10, ...opts });
      ctx.host.handle(`iq-get/${target}/http://jabber.org/protocol/disco#info:query`, discoInfo(disco), { priority: 10, ...opts });
    }

    // Above presence (50), which stops one's own presence: caps are read first, and our disco#info answers stop here.
    const last = {
      domain,
      caps,
      store,
      pep,
      itemOf,
      roster,
      sessions: (bare: string) => ctx.out.sessions(bare),
      blocks: (owner: string, jid: Jid) => ctx.shared.blocks?.(owner, jid) ?? false,
      log: ctx.log,
    };
    const discovery = capsDiscovery({
      domain,
      caps,
      router: ctx.router,
      log: ctx.log,
      session: (bare, connectionId) => ctx.directory.cached(bare)?.sessions.find((x) => x.connectionId === connectionId),
      capsChanged: lastItemsOnCapsChange(last),
    });
    ctx.hooks.on('stanza-in', discovery, { priority: 60, ...opts });
    // XEP-0153: before the presence module (50) records and broadcasts it.
    ctx.hooks.on('stanza-in', presenceHash({ store, router: ctx.router }), { priority: 55, ...opts });
    ctx.hooks.on('presence-initial', lastItemsOnline(last), opts);
    ctx.hooks.on('presence-allowed', lastItemsOnGrant(last), opts);
    ctx.removal.register('pep', (r) => store.removeUser(r.user));
  },
};
