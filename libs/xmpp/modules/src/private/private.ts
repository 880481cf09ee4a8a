// XEP-0049 Private XML Storage: a user stores and reads XML fragments keyed by
// namespace. Only for one's own account; reserved namespaces are refused.
import { parseElement } from '@cx/xml-stream';
import { elements, StanzaError, x, type Element } from '@cx/xmpp-core';
import { defineModule, type IqContext } from '../host';

const NS_PRIVATE = 'jabber:iq:private';
export const PRIVATE_BUCKET = 'xmpp_private';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function reserved(ns: string | undefined): boolean {
  return ns === undefined || ns === '' || ns.startsWith('jabber:') || ns.startsWith('http://etherx.jabber.org') || ns.startsWith('urn:ietf:params:xml:ns:xmpp-');
}

async function get({ payload, user, deps }: IqContext) {
  const children = elements(payload);
  if (children.length !== 1) return new StanzaError('bad-request', 'ask for exactly one namespace');
  const wanted = children[0];
  if (reserved(wanted.attrs.xmlns)) return new StanzaError('not-acceptable', 'reserved namespace');
  const stored = await deps.store(PRIVATE_BUCKET).get([user, wanted.attrs.xmlns as string]);
  const found = stored ? parseElement(decoder.decode(stored)) : undefined;
  return x('query', { xmlns: NS_PRIVATE }, found && !('error' in found) ? found : x(wanted.name, { xmlns: wanted.attrs.xmlns }));
}

async function set({ payload, user, deps }: IqContext) {
  const children = elements(payload);
  if (children.length === 0) return new StanzaError('bad-request', 'nothing to store');
  if (children.some((c) => reserved(c.attrs.xmlns))) return new StanzaError('not-acceptable', 'reserved namespace');
  const store = deps.store(PRIVATE_BUCKET);
  for (const c of children as Element[]) await store.put([user, c.attrs.xmlns as string], encoder.encode(c.toString()));
  return null;
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
