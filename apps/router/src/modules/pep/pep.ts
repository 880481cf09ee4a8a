// XEP-0163 PEP on XEP-0060: the requests to an account's pubsub service
// (its bare JID). The owner publishes (auto-create, XEP-0223
// publish-options), retracts, creates, configures, deletes and purges;
// anyone the node's access model allows gets items and subscribes.
import {
  configForm,
  configure,
  dataForm,
  DEFAULT_CONFIG,
  formFields,
  FULL,
  isPublishOptions,
  newNode,
  notImplemented,
  NS_PUBSUB,
  NS_PUBSUB_OWNER,
  publish,
  PubsubError,
  purge,
  replaceItems,
  retract,
  selectItems,
  subscription,
  type PepStore,
  type StoredNode,
} from '@cx/pubsub';
import { StanzaError, tryParseJid, x, type Element } from '@cx/xmpp-core';
import { elements, firstElement } from '@cx/xmpp-core';
import { mayAccess, type RosterItemOf } from './access';
import { countRequest } from './metrics';
import { itemElement, recipients, sendEvent, type NotifyDeps, type Target } from './notify';

export interface PepDeps extends NotifyDeps {
  store: PepStore;
  itemOf: RosterItemOf;
  /** A write refused at the per-user bound (a metric). */
  rejected(): void;
  /** A client changed a node (after the answer): conversions follow (bookmarks, avatars). */
  changed?(owner: string, node: string, n: StoredNode | null): Promise<void>;
}

/** Who asks and whose service. */
export interface Ask {
  /** The asker's full JID. */
  from: string;
  /** The owner's local part. */
  owner: string;
  /** Is the asker the owner? */
  self: boolean;
  /** Run after the result is sent (events follow the answer, XEP-0060 §7.1.2, §6.1.7). */
  later(fn: () => Promise<void>): void;
}

type Outcome = Element | null | StanzaError;

/** Nodes that hold private data (bookmarks, XEP-0048/0402): created whitelist unless the publish-options say otherwise. */
const PRIVATE_NODES = new Set(['storage:bookmarks', 'urn:xmpp:bookmarks:1', 'urn:xmpp:bookmarks:0']);

const bareOf = (full: string) => (full.includes('/') ? full.slice(0, full.indexOf('/')) : full);
const truthy = (v: string | undefined) => v === '1' || v === 'true';

export class Pep {
  constructor(readonly d: PepDeps) {}

  private ownerBare(owner: string): string {
    return `${owner}@${this.d.domain}`;
  }

  /** `<pubsub xmlns='http://jabber.org/protocol/pubsub'>` get or set. */
  async pubsub(type: 'get' | 'set', payload: Element, a: Ask): Promise<Outcome> {
    const action = firstElement(payload);
    if (!action) return new StanzaError('bad-request');
    const out = await this.action(type, action, payload, a);
    countRequest(action.name, !(out instanceof StanzaError));
    return out;
  }

  private async action(type: 'get' | 'set', action: Element, payload: Element, a: Ask): Promise<Outcome> {
    const key = `${type}:${action.name}`;
    switch (key) {
      case 'set:publish':
        return a.self ? this.publish(action, payload.getChild('publish-options'), a) : new PubsubError('forbidden');
      case 'get:items':
        return this.items(action, a);
      case 'set:retract':
        return a.self ? this.retract(action, a) : new PubsubError('forbidden');
      case 'set:create':
        return a.self ? this.create(action, payload.getChild('configure'), a) : new PubsubError('forbidden');
      case 'set:subscribe':
        return this.subscribe(action, a, true);
      case 'set:unsubscribe':
        return this.subscribe(action, a, false);
      case 'get:subscriptions':
        return this.subscriptions(a);
      case 'get:affiliations':
        return this.affiliations(a);
      case 'get:options':
      case 'set:options':
        return notImplemented('subscription-options');
      case 'get:default':
        return x('pubsub', { xmlns: NS_PUBSUB }, x('default', {}, configForm(DEFAULT_CONFIG)));
      default:
        return new StanzaError('feature-not-implemented');
    }
  }

  /** `<pubsub xmlns='…#owner'>`: the owner's configure, delete, purge, default, subscriptions, affiliations. */
  async owner(type: 'get' | 'set', payload: Element, a: Ask): Promise<Outcome> {
    const action = firstElement(payload);
    if (!action) return new StanzaError('bad-request');
    if (!a.self) return new PubsubError('forbidden');
    const out = await this.ownerAction(`${type}:${action.name}`, action, a);
    countRequest(`owner-${action.name}`, !(out instanceof StanzaError));
    return out;
  }

  private async ownerAction(key: string, action: Element, a: Ask): Promise<Outcome> {
    const node = action.attrs.node as string | undefined;
    if (key === 'get:default') return x('pubsub', { xmlns: NS_PUBSUB_OWNER }, x('default', {}, configForm(DEFAULT_CONFIG)));
    if (!node) return new PubsubError('bad-request', 'nodeid-required');
    switch (key) {
      case 'get:configure': {
        const n = await this.d.store.node(a.owner, node);
        if (!n) return new PubsubError('item-not-found');
        return x('pubsub', { xmlns: NS_PUBSUB_OWNER }, x('configure', { node }, configForm(n.config)));
      }
      case 'set:configure': {
        const form = dataForm(action);
        if (!form) return new StanzaError('bad-request', 'a jabber:x:data form is required');
        if (form.attrs.type === 'cancel') return null;
        return this.write(
          a.owner,
          node,
          (cur) => configure(cur, formFields(form), this.d.store.limits.maxItems),
          () => null,
        );
      }
      case 'set:delete':
        return this.deleteNode(a, node);
      case 'set:purge':
        return this.write(
          a.owner,
          node,
          (cur) => purge(cur),
          (n) => {
            a.later(() => this.notify(a.owner, node, n, x('purge', { node })));
            return null;
          },
        );
      case 'get:subscriptions': {
        const n = await this.d.store.node(a.owner, node);
        if (!n) return new PubsubError('item-not-found');
        return x(
          'pubsub',
          { xmlns: NS_PUBSUB_OWNER },
          x('subscriptions', { node }, ...n.subs.map((jid) => x('subscription', { jid, subscription: 'subscribed' }))),
        );
      }
      case 'get:affiliations': {
        const n = await this.d.store.node(a.owner, node);
        if (!n) return new PubsubError('item-not-found');
        return x('pubsub', { xmlns: NS_PUBSUB_OWNER }, x('affiliations', { node }, x('affiliation', { jid: this.ownerBare(a.owner), affiliation: 'owner' })));
      }
      case 'set:subscriptions':
        return notImplemented('manage-subscriptions');
      case 'set:affiliations':
        return notImplemented('modify-affiliations');
      default:
        return new StanzaError('feature-not-implemented');
    }
  }

  /** Write a node change; FULL is the per-user bound (not-acceptable). */
  private async write<R>(
    owner: string,
    node: string,
    decide: (cur: StoredNode | null) => { next: StoredNode | null | undefined; result: R },
    then: (r: Exclude<R, StanzaError>) => Outcome,
  ): Promise<Outcome> {
    const r = await this.d.store.update(owner, node, decide);
    if (r === FULL) {
      this.d.rejected();
      return new PubsubError('not-acceptable', 'payload-too-big', 'your PEP storage is full (PEP_MAX_BYTES / PEP_MAX_NODES)');
    }
    if (r instanceof StanzaError) return r;
    return then(r as Exclude<R, StanzaError>);
  }

  /** XEP-0060 §7.1 with XEP-0163 §3 and XEP-0223. */
  private async publish(action: Element, options: Element | undefined, a: Ask): Promise<Outcome> {
    const node = action.attrs.node as string | undefined;
    if (!node) return new PubsubError('bad-request', 'nodeid-required');
    const items = action.getChildren('item');
    if (items.length > 1) return new PubsubError('bad-request', 'invalid-payload');
    const payloads = items[0] ? elements(items[0]) : [];
    if (payloads.length === 0) return new PubsubError('bad-request', 'payload-required');
    if (payloads.length > 1) return new PubsubError('bad-request', 'invalid-payload');
    const form = dataForm(options);
    if (form && !isPublishOptions(form)) return new PubsubError('bad-request', 'invalid-options');
    const id = (items[0].attrs.id as string | undefined) || undefined;
    const req = { id, payload: payloads[0].toString(), options: formFields(form), now: Date.now() };
    // Private data published without publish-options must not reach contacts: such nodes start whitelist.
    const created = new Map<string, string[]>(PRIVATE_NODES.has(node) ? [['pubsub#access_model', ['whitelist']], ...req.options] : req.options);
    return this.write(
      a.owner,
      node,
      (cur) => publish(cur, cur ? req : { ...req, options: created }, this.d.store.limits.maxItems),
      (p) => {
        const stored = p.node.items[p.node.items.length - 1];
        a.later(() => this.notify(a.owner, node, p.node, x('items', { node }, itemElement(stored, p.node.config.deliverPayloads))));
        this.converted(a, node, p.node);
        return x('pubsub', { xmlns: NS_PUBSUB }, x('publish', { node }, x('item', { id: p.id })));
      },
    );
  }

  /** §6.5: all items, some by id, or the newest max_items. */
  private async items(action: Element, a: Ask): Promise<Outcome> {
    const node = action.attrs.node as string | undefined;
    if (!node) return new PubsubError('bad-request', 'nodeid-required');
    const n = await this.d.store.node(a.owner, node);
    if (!n) return new PubsubError('item-not-found');
    const ok = await mayAccess(n.config, a.owner, this.ownerBare(a.owner), bareOf(a.from), this.d.itemOf);
    if (ok !== true) return ok;
    const ids = action.getChildren('item').map((i) => i.attrs.id as string);
    const maxAttr = action.attrs.max_items as string | undefined;
    const max = maxAttr !== undefined && /^\d+$/.test(maxAttr) ? Number(maxAttr) : undefined;
    const picked = selectItems(n, ids, max);
    return x('pubsub', { xmlns: NS_PUBSUB }, x('items', { node }, ...picked.map((i) => itemElement(i))));
  }

  /** §7.2: notify when asked (notify='true') or when the node says notify_retract. */
  private async retract(action: Element, a: Ask): Promise<Outcome> {
    const node = action.attrs.node as string | undefined;
    if (!node) return new PubsubError('bad-request', 'nodeid-required');
    const id = action.getChild('item')?.attrs.id as string | undefined;
    if (!id) return new PubsubError('bad-request', 'item-required');
    return this.write(
      a.owner,
      node,
      (cur) => retract(cur, id),
      (n) => {
        if (truthy(action.attrs.notify as string | undefined) || n.config.notifyRetract)
          a.later(() => this.notify(a.owner, node, n, x('items', { node }, x('retract', { id }))));
        this.converted(a, node, n);
        return null;
      },
    );
  }

  /** §8.1: create (and configure, §8.1.3); an existing node is a conflict, instant nodes are not offered. */
  private async create(action: Element, configureEl: Element | undefined, a: Ask): Promise<Outcome> {
    const node = action.attrs.node as string | undefined;
    if (!node) return new PubsubError('not-acceptable', 'nodeid-required');
    const fresh = newNode(formFields(dataForm(configureEl)), this.d.store.limits.maxItems);
    if (fresh instanceof StanzaError) return fresh;
    return this.write<StoredNode | StanzaError>(
      a.owner,
      node,
      (cur) => (cur ? { next: undefined, result: new StanzaError('conflict') } : { next: fresh, result: fresh }),
      () => null,
    );
  }

  /** §8.4: delete the node, telling subscribers when notify_delete. */
  private async deleteNode(a: Ask, node: string): Promise<Outcome> {
    const owner = a.owner;
    return this.write<StoredNode | StanzaError>(
      owner,
      node,
      (cur) => (cur ? { next: null, result: cur } : { next: undefined, result: new PubsubError('item-not-found') }),
      (n) => {
        if (n.config.notifyDelete) a.later(() => this.notify(owner, node, n, x('delete', { node })));
        this.converted(a, node, null);
        return null;
      },
    );
  }

  /** §6.1 / §6.2: an explicit subscription of the asker's JID (bare or full); the last item follows (§6.1.7). */
  private async subscribe(action: Element, a: Ask, on: boolean): Promise<Outcome> {
    const node = action.attrs.node as string | undefined;
    if (!node) return new PubsubError('bad-request', 'nodeid-required');
    const jid = tryParseJid((action.attrs.jid as string | undefined) ?? '');
    if (!jid || !jid.bare.equals(tryParseJid(a.from)!.bare)) return new PubsubError('bad-request', 'invalid-jid');
    const cur = await this.d.store.node(a.owner, node);
    if (!cur) return new PubsubError('item-not-found');
    if (on) {
      const ok = await mayAccess(cur.config, a.owner, this.ownerBare(a.owner), jid.bare.toString(), this.d.itemOf);
      if (ok !== true) return ok;
    }
    const sub = jid.toString();
    return this.write(
      a.owner,
      node,
      (c) => subscription(c, sub, on),
      (n) => {
        if (!on) return null;
        if (n.config.sendLastPublishedItem !== 'never' && n.items.length) a.later(() => this.lastTo(a.owner, node, n, sub));
        return x('pubsub', { xmlns: NS_PUBSUB }, x('subscription', { node, jid: sub, subscription: 'subscribed' }));
      },
    );
  }

  private async subscriptions(a: Ask): Promise<Outcome> {
    const asker = a.from;
    const out: Element[] = [];
    for (const node of Object.keys(await this.d.store.index(a.owner))) {
      const n = await this.d.store.node(a.owner, node);
      for (const s of n?.subs ?? []) if (s === asker || s === bareOf(asker)) out.push(x('subscription', { node, jid: s, subscription: 'subscribed' }));
    }
    return x('pubsub', { xmlns: NS_PUBSUB }, x('subscriptions', {}, ...out));
  }

  private async affiliations(a: Ask): Promise<Outcome> {
    const nodes = a.self ? Object.keys(await this.d.store.index(a.owner)) : [];
    return x('pubsub', { xmlns: NS_PUBSUB }, x('affiliations', {}, ...nodes.map((node) => x('affiliation', { node, affiliation: 'owner' }))));
  }

  private converted(a: Ask, node: string, n: StoredNode | null): void {
    const changed = this.d.changed;
    if (changed) a.later(() => changed(a.owner, node, n));
  }

  /**
   * The server writes a node on the owner's behalf (conversions): its items
   * become `items` (a new node gets `config`), and subscribers are told as
   * for a client's publish and retract. False: the user's PEP storage is full.
   */
  async replace(owner: string, node: string, items: ReadonlyArray<{ id: string; payload: Element }>, config: Map<string, string[]>): Promise<boolean> {
    const want = items.map((i) => ({ id: i.id, xml: i.payload.toString() }));
    const r = await this.d.store.update(owner, node, (cur) => replaceItems(cur, want, config, this.d.store.limits.maxItems, Date.now()));
    if (r === FULL) {
      this.d.rejected();
      return false;
    }
    if (r instanceof StanzaError) return false;
    for (const i of r.changed) await this.notify(owner, node, r.node, x('items', { node }, itemElement(i, r.node.config.deliverPayloads)));
    if (r.removed.length && r.node.config.notifyRetract)
      await this.notify(owner, node, r.node, x('items', { node }, ...r.removed.map((id) => x('retract', { id }))));
    return true;
  }

  /** Send an event about `owner`'s node to everyone who should get it. */
  async notify(owner: string, node: string, n: StoredNode, what: Element): Promise<void> {
    if (!n.config.deliverNotifications) return;
    const targets = await recipients(this.d, owner, node, n.config, n.subs);
    sendEvent(this.d.out, this.ownerBare(owner), what, targets);
  }

  /** The last published item of a node to one subscriber JID (bare: its available resources). */
  private async lastTo(owner: string, node: string, n: StoredNode, jid: string): Promise<void> {
    const j = tryParseJid(jid);
    if (!j) return;
    const bare = j.bare.toString();
    const targets: Target[] = this.d.out
      .available(await this.d.out.sessions(bare))
      .filter((s) => !j.resource || s.resource === j.resource)
      .map((session) => ({ bare, session }));
    this.lastItem(owner, node, n, targets);
  }

  /** XEP-0163 §4.3.3 / XEP-0060 §6.1.7: the node's newest item to these sessions. */
  lastItem(owner: string, node: string, n: StoredNode, targets: readonly Target[]): void {
    const last = n.items[n.items.length - 1];
    if (!last || !targets.length) return;
    sendEvent(this.d.out, this.ownerBare(owner), x('items', { node }, itemElement(last, n.config.deliverPayloads)), targets, last.at);
  }
}
