// XEP-0092 Software Version: the server's name and version (no OS, which would
// only help an attacker).
import { x } from '@cx/xmpp-core';
import { defineModule } from '../host';

export const SERVER_NAME = 'cloud-xmpp';
export const SERVER_VERSION = '0.1.0';
const NS_VERSION = 'jabber:iq:version';

export const version = defineModule({
  name: 'version',
  spec: 'XEP-0092',
  features: [NS_VERSION],
  handlers: {
    'iq-get/host/jabber:iq:version:query': () => x('query', { xmlns: NS_VERSION }, x('name', {}, SERVER_NAME), x('version', {}, SERVER_VERSION)),
  },
});
