// What each XEP-0060 request does to a stored node, as pure decisions over
// it (the store writes them with a revision check): publish with auto-create
// and publish-options (XEP-0223), retract, configure, purge, subscribe.
import { StanzaError, x, type Element } from '@cx/xmpp-core';
import { applyFields, ConfigError, DEFAULT_CONFIG, preconditionMismatch, type NodeConfig } from './config';
import { NS_PUBSUB_ERRORS } from './ns';
import type { NodeDecision, StoredItem, StoredNode } from './store';

/** A stanza error with a pubsub#errors condition beside it (XEP-0060 §7.1.3, §7.2.3). */
export class PubsubError extends StanzaError {
  constructor(
    condition: ConstructorParameters<typeof StanzaError>[0],
    readonly app?: string,
    text?: string,
    readonly feature?: string,
  ) {
    super(condition, text);
  }
  override toElement(by?: string): Element {
    const el = super.toElement(by);
    if (this.app) el.cnode(x(this.app, { xmlns: NS_PUBSUB_ERRORS, feature: this.feature }));
    return el;
  }
}

export const notImplemented = (feature: string) => new PubsubError('feature-not-implemented', 'unsupported', undefined, feature);

type Fields = Map<string, string[]>;

/** Items kept by a configuration (max resolved against the server's cap). */
export function keep(c: NodeConfig, cap: number): number {
  if (!c.persistItems) return 1; // the last one stays, for send_last_published_item
  return c.maxItems === 'max' ? cap : Math.min(c.maxItems, cap);
}

let counter = 0;
/** An item id for a publish without one (XEP-0060 §7.1.1: the service generates it). */
export function newItemId(now = Date.now()): string {
  return `${now.toString(36)}-${(counter++ % 1679616).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface Published {
  id: string;
  node: StoredNode;
  created: boolean;
}

/** A new node with this configuration (from a create's <configure/> or a publish's <publish-options/>). */
export function newNode(fields: Fields, cap: number): StoredNode | PubsubError {
  try {
    return { config: applyFields(DEFAULT_CONFIG, fields, cap), items: [], subs: [] };
  } catch (err) {
    if (err instanceof ConfigError) return new PubsubError('not-acceptable', 'unsupported-access-model', err.message);
    throw err;
  }
}

/**
 * XEP-0060 §7.1 with XEP-0163 §3 auto-create and XEP-0223: the node is
 * created with the publish-options as its configuration; on an existing node
 * they must match its configuration, else precondition-not-met (§7.1.3.6).
 */
export function publish(
  cur: StoredNode | null,
  req: { id?: string; payload: string; options: Fields; now: number },
  cap: number,
): NodeDecision<Published | PubsubError> {
  let node: StoredNode;
  if (!cur) {
    const made = newNode(req.options, cap);
    if (made instanceof PubsubError) return { next: undefined, result: new PubsubError('conflict', 'precondition-not-met', made.text) };
    node = made;
  } else {
    const bad = preconditionMismatch(cur.config, req.options, cap);
    if (bad)
      return { next: undefined, result: new PubsubError('conflict', 'precondition-not-met', `publish-options do not match the node's configuration (${bad})`) };
    node = { ...cur, items: [...cur.items] };
  }
  const id = req.id || newItemId(req.now);
  const item: StoredItem = { id, xml: req.payload, at: req.now };
  node.items = node.items.filter((i) => i.id !== id);
  node.items.push(item);
  const n = keep(node.config, cap);
  if (node.items.length > n) node.items = node.items.slice(node.items.length - n);
  return { next: node, result: { id, node, created: !cur } };
}

/** §7.2: remove one item; item-not-found when it is not there. */
export function retract(cur: StoredNode | null, id: string): NodeDecision<StoredNode | PubsubError> {
  if (!cur) return { next: undefined, result: new PubsubError('item-not-found') };
  if (!cur.items.some((i) => i.id === id)) return { next: undefined, result: new PubsubError('item-not-found') };
  const node = { ...cur, items: cur.items.filter((i) => i.id !== id) };
  return { next: node, result: node };
}

/** §8.5: remove every item. */
export function purge(cur: StoredNode | null): NodeDecision<StoredNode | PubsubError> {
  if (!cur) return { next: undefined, result: new PubsubError('item-not-found') };
  const node = { ...cur, items: [] };
  return { next: node, result: node };
}

/** §8.2.4: a submitted configuration; fewer max_items drops the oldest. */
export function configure(cur: StoredNode | null, fields: Fields, cap: number): NodeDecision<StoredNode | PubsubError> {
  if (!cur) return { next: undefined, result: new PubsubError('item-not-found') };
  let config: NodeConfig;
  try {
    config = applyFields(cur.config, fields, cap);
  } catch (err) {
    if (err instanceof ConfigError) return { next: undefined, result: new StanzaError('not-acceptable', err.message) };
    throw err;
  }
  const node = { ...cur, config, items: [...cur.items] };
  const n = keep(config, cap);
  if (node.items.length > n) node.items = node.items.slice(node.items.length - n);
  return { next: node, result: node };
}

/** §6.1 / §6.2: add or remove an explicit subscription. */
export function subscription(cur: StoredNode | null, jid: string, on: boolean, maxSubs = 256): NodeDecision<StoredNode | PubsubError> {
  if (!cur) return { next: undefined, result: new PubsubError('item-not-found') };
  const has = cur.subs.includes(jid);
  if (on === has) return { next: undefined, result: cur };
  if (!on) {
    const node = { ...cur, subs: cur.subs.filter((s) => s !== jid) };
    return { next: node, result: node };
  }
  if (cur.subs.length >= maxSubs) return { next: undefined, result: new StanzaError('resource-constraint', 'too many subscriptions to this node', 'wait') };
  const node = { ...cur, subs: [...cur.subs, jid] };
  return { next: node, result: node };
}

/**
 * The items a get returns (§6.5): those asked for by id (in the order asked),
 * or all, or the newest `max` — newest first, as Prosody answers: clients
 * that read the first <item/> of a node (a device list) get the current one.
 */
export function selectItems(node: StoredNode, ids: string[], max?: number): StoredItem[] {
  if (ids.length) return ids.flatMap((id) => node.items.filter((i) => i.id === id));
  const newest = [...node.items].reverse();
  return max !== undefined && max >= 0 ? newest.slice(0, max) : newest;
}

export interface Replaced {
  node: StoredNode;
  /** Items new or with another payload, in the order given. */
  changed: StoredItem[];
  /** Ids no longer there. */
  removed: string[];
}

/**
 * The server writes a node on the owner's behalf (conversions: XEP-0411
 * bookmarks, XEP-0398 avatars): its items become exactly `items`; a new node
 * gets `config`. Nothing is written when nothing changes.
 */
export function replaceItems(
  cur: StoredNode | null,
  items: ReadonlyArray<{ id: string; xml: string }>,
  config: Fields,
  cap: number,
  now: number,
): NodeDecision<Replaced | PubsubError> {
  let node: StoredNode;
  if (cur) node = { ...cur };
  else {
    const made = newNode(config, cap);
    if (made instanceof PubsubError) return { next: undefined, result: made };
    node = made;
  }
  const old = new Map((cur?.items ?? []).map((i) => [i.id, i]));
  const wanted = items.slice(Math.max(0, items.length - keep(node.config, cap)));
  const next = wanted.map((i) => (old.get(i.id)?.xml === i.xml ? old.get(i.id)! : { id: i.id, xml: i.xml, at: now }));
  const changed = next.filter((i) => old.get(i.id) !== i);
  const ids = new Set(next.map((i) => i.id));
  const removed = [...old.keys()].filter((id) => !ids.has(id));
  node.items = next;
  if (cur && !changed.length && !removed.length) return { next: undefined, result: { node: cur, changed, removed } };
  return { next: node, result: { node, changed, removed } };
}
