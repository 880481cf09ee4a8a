// XEP-0030 on accounts: the server answers disco#info and disco#items for a
// registered account's bare JID (identity account/registered).
import { NS, StanzaError, x } from '@cx/xmpp-core';
import { defineModule, type IqContext } from '../host';

function info({ payload }: IqContext) {
  if (payload.attrs.node) return new StanzaError('item-not-found');
  return x('query', { xmlns: NS.DISCO_INFO }, x('identity', { category: 'account', type: 'registered' }), x('feature', { var: NS.DISCO_INFO }), x('feature', { var: NS.DISCO_ITEMS }));
}

function items({ payload }: IqContext) {
  return payload.attrs.node ? new StanzaError('item-not-found') : x('query', { xmlns: NS.DISCO_ITEMS });
}

export const account = defineModule({
  name: 'account',
  spec: 'XEP-0030 §3 (accounts)',
  handlers: {
    'iq-get/self/http://jabber.org/protocol/disco#info:query': info,
    'iq-get/bare/http://jabber.org/protocol/disco#info:query': info,
    'iq-get/self/http://jabber.org/protocol/disco#items:query': items,
    'iq-get/bare/http://jabber.org/protocol/disco#items:query': items,
  },
});
