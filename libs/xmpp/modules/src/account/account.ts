// XEP-0030 on accounts: the server answers disco#info and disco#items for a
// registered account's bare JID. The answer is assembled from what the enabled
// modules add to the hosted address 'account' (ModuleHost.hosted): identity
// account/registered from this one, features from those that answer requests
// to another account's bare JID (vcard-temp, jabber:iq:last).
import { NS, StanzaError, x } from '@cx/xmpp-core';
import { defineModule, type IqContext } from '../host';
import { infoQuery } from '../disco/info';

function info({ payload, host }: IqContext) {
  if (payload.attrs.node) return new StanzaError('item-not-found');
  return infoQuery(host.hosted('account'));
}

function items({ payload }: IqContext) {
  return payload.attrs.node ? new StanzaError('item-not-found') : x('query', { xmlns: NS.DISCO_ITEMS });
}

export const account = defineModule({
  name: 'account',
  spec: 'XEP-0030 §3 (accounts)',
  account: { identities: [{ category: 'account', type: 'registered' }], features: [NS.DISCO_INFO, NS.DISCO_ITEMS] },
  handlers: {
    'iq-get/self/http://jabber.org/protocol/disco#info:query': info,
    'iq-get/bare/http://jabber.org/protocol/disco#info:query': info,
    'iq-get/self/http://jabber.org/protocol/disco#items:query': items,
    'iq-get/bare/http://jabber.org/protocol/disco#items:query': items,
  },
});
