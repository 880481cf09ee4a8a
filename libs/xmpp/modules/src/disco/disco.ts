// XEP-0030 Service Discovery on the server: identity server/im, and the
// identities, features, forms and items the enabled modules add to the domain
// (ModuleHost.hosted('domain')); this module's form is the XEP-0157 contact
// addresses, when configured. XEP-0115 §6.2: a query on
// the node of the caps we advertise (`<node>#<ver>`) gets the same answer,
// with the node echoed; any other node is item-not-found.
import { NS, StanzaError, x } from '@cx/xmpp-core';
import { defineModule, type IqContext } from '../host';
import { contactForm } from './contact';
import { infoQuery } from './info';

function info({ payload, host }: IqContext) {
  const node = payload.attrs.node;
  if (node !== undefined && node !== `${host.caps().node}#${host.caps().ver}`) return new StanzaError('item-not-found');
  return infoQuery(host.hosted('domain'), node);
}

function items({ payload, host }: IqContext) {
  if (payload.attrs.node) return new StanzaError('item-not-found');
  return x('query', { xmlns: NS.DISCO_ITEMS }, ...host.hosted('domain').items.map((i) => x('item', { jid: i.jid, node: i.node, name: i.name })));
}

export const disco = defineModule({
  name: 'disco',
  spec: 'XEP-0030',
  identities: [{ category: 'server', type: 'im', name: 'cloud-xmpp' }],
  features: [NS.DISCO_INFO, NS.DISCO_ITEMS],
  forms: (deps) => contactForm(deps.contacts),
  handlers: {
    'iq-get/host/http://jabber.org/protocol/disco#info:query': info,
    'iq-get/host/http://jabber.org/protocol/disco#items:query': items,
  },
});
