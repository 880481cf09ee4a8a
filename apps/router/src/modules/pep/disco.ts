// XEP-0030 on an account's PEP service (XEP-0060 §5.2, §5.3, §5.5): its
// disco#items lists the nodes the asker may see; disco#info and disco#items
// on a node give the node (leaf) and its item ids. Without a node, disco#info
// is the account module's.
import { PASS, type IqContext, type IqOutcome } from '@cx/modules';
import { NS_PUBSUB, type PepStore } from '@cx/pubsub';
import { NS, StanzaError, x } from '@cx/xmpp-core';
import { allowedBy, type RosterItemOf } from './access';

export interface DiscoDeps {
  domain: string;
  store: PepStore;
  itemOf: RosterItemOf;
}

const bareOf = (full: string) => (full.includes('/') ? full.slice(0, full.indexOf('/')) : full);

async function visible(d: DiscoDeps, owner: string, asker: string, access: Parameters<typeof allowedBy>[0]): Promise<boolean> {
  if (asker === `${owner}@${d.domain}` || access.accessModel === 'open') return true;
  return allowedBy(access, await d.itemOf(owner, asker));
}

export function discoItems(d: DiscoDeps) {
  return async ({ payload, from, target }: IqContext): Promise<IqOutcome> => {
    const asker = bareOf(from);
    const ownerBare = `${target}@${d.domain}`;
    const node = payload.attrs.node as string | undefined;
    if (node) {
      const n = await d.store.node(target, node);
      if (!n || !(await visible(d, target, asker, n.config))) return new StanzaError('item-not-found');
      return x('query', { xmlns: NS.DISCO_ITEMS, node }, ...n.items.map((i) => x('item', { jid: ownerBare, name: i.id })));
    }
    const idx = await d.store.index(target);
    const items = [];
    for (const [name, meta] of Object.entries(idx)) {
      if (await visible(d, target, asker, { accessModel: meta.a, rosterGroupsAllowed: [] })) items.push(x('item', { jid: ownerBare, node: name }));
    }
    return x('query', { xmlns: NS.DISCO_ITEMS }, ...items);
  };
}

export function discoInfo(d: DiscoDeps) {
  return async ({ payload, from, target }: IqContext): Promise<IqOutcome> => {
    const node = payload.attrs.node as string | undefined;
    if (!node) return PASS;
    const n = await d.store.node(target, node);
    if (!n || !(await visible(d, target, bareOf(from), n.config))) return new StanzaError('item-not-found');
    return x('query', { xmlns: NS.DISCO_INFO, node }, x('identity', { category: 'pubsub', type: 'leaf' }), x('feature', { var: NS_PUBSUB }));
  };
}
