// XEP-0049 Private XML Storage: a user stores and reads XML fragments keyed by
// namespace. Only for one's own account; reserved namespaces are refused.
// Each user's fragments are one document (private-doc.ts) under the user's
// key, bounded in namespaces and bytes (PRIVATE_MAX_ITEMS, PRIVATE_MAX_BYTES):
// a set beyond them gets not-acceptable and changes nothing. Fragments stored
// before, one key per namespace, are still read when the document lacks them.
import { parseElement } from '@cx/xml-stream';
import { elements, StanzaError, x, type Element } from '@cx/xmpp-core';
import { defineModule, moduleLimits, type IqContext, type ModuleDeps } from '../host';
import { decodePrivate, putFragments } from './private-doc';

const NS_PRIVATE = 'jabber:iq:private';
export const PRIVATE_BUCKET = 'xmpp_private';
const decoder = new TextDecoder();

function reserved(ns: string | undefined): boolean {
  return (
    ns === undefined || ns === '' || ns.startsWith('jabber:') || ns.startsWith('http://etherx.jabber.org') || ns.startsWith('urn:ietf:params:xml:ns:xmpp-')
  );
}

async function stored({ user, deps }: Pick<IqContext, 'user' | 'deps'>, ns: string): Promise<string | undefined> {
  const store = deps.store(PRIVATE_BUCKET);
  const doc = decodePrivate(await store.get([user]));
  if (doc.has(ns)) return doc.get(ns);
  const legacy = await store.get([user, ns]); // the one-key-per-namespace layout of earlier versions
  return legacy ? decoder.decode(legacy) : undefined;
}

async function get(ctx: IqContext) {
  const children = elements(ctx.payload);
  if (children.length !== 1) return new StanzaError('bad-request', 'ask for exactly one namespace');
  const wanted = children[0];
  if (reserved(wanted.attrs.xmlns)) return new StanzaError('not-acceptable', 'reserved namespace');
  const xml = await stored(ctx, wanted.attrs.xmlns as string);
  const found = xml ? parseElement(xml) : undefined;
  return x('query', { xmlns: NS_PRIVATE }, found && !('error' in found) ? found : x(wanted.name, { xmlns: wanted.attrs.xmlns }));
}

/** The fragment a user stored for a namespace, parsed (for the server's own conversions: XEP-0411 bookmarks). */
export async function readPrivate(deps: ModuleDeps, user: string, ns: string): Promise<Element | undefined> {
  const xml = await stored({ user, deps }, ns);
  const el = xml ? parseElement(xml) : undefined;
  return el && !('error' in el) ? el : undefined;
}

/** Store fragments on the user's behalf, within the same bounds (null: stored). */
export async function writePrivate(deps: ModuleDeps, user: string, fragments: Element[]): Promise<StanzaError | null> {
  return put(fragments, user, deps);
}

async function set({ payload, user, deps }: IqContext) {
  const children = elements(payload);
  if (children.length === 0) return new StanzaError('bad-request', 'nothing to store');
  if (children.some((c) => reserved(c.attrs.xmlns))) return new StanzaError('not-acceptable', 'reserved namespace');
  return put(children, user, deps);
}

async function put(children: Element[], user: string, deps: ModuleDeps): Promise<StanzaError | null> {
  const fragments = (children as Element[]).map((c) => [c.attrs.xmlns as string, c.toString()] as const);
  const limits = moduleLimits(deps);
  const outcome = await deps.store(PRIVATE_BUCKET).update([user], (cur) => {
    const r = putFragments(decodePrivate(cur), fragments, { maxItems: limits.privateMaxItems, maxBytes: limits.privateMaxBytes });
    return { next: r.ok ? r.bytes : undefined, result: r };
  });
  if (outcome.ok) return null;
  deps.rejected?.('private');
  return outcome.exceeded === 'items'
    ? new StanzaError('not-acceptable', `private storage is limited to ${limits.privateMaxItems} namespaces per user`)
    : new StanzaError('not-acceptable', `private storage is limited to ${limits.privateMaxBytes} bytes per user`);
}

export const privateStorage = defineModule({
  name: 'private',
  spec: 'XEP-0049',
  features: [NS_PRIVATE],
  removeUser: (user, deps) => deps.store(PRIVATE_BUCKET).removeAll([user]),
  handlers: {
    'iq-get/self/jabber:iq:private:query': get,
    'iq-set/self/jabber:iq:private:query': set,
    'iq-get/bare/jabber:iq:private:query': () => new StanzaError('forbidden', "another user's private storage"),
    'iq-set/bare/jabber:iq:private:query': () => new StanzaError('forbidden', "another user's private storage"),
  },
});
