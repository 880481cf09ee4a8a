// XEP-0199 XMPP Ping: the server answers a ping addressed to it (or with no 'to').
import { NS } from '@cx/xmpp-core';
import { defineModule } from '../host';

export const ping = defineModule({
  name: 'ping',
  spec: 'XEP-0199',
  features: [NS.PING],
  handlers: {
    'iq-get/host/urn:xmpp:ping:ping': () => null,
    'iq-get/self/urn:xmpp:ping:ping': () => null,
  },
});
