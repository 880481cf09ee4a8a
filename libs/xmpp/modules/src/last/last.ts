// XEP-0012 Last Activity, on the server: seconds since it started (§4).
// Asking about a user needs a presence subscription (RFC 6121), which comes
// with rosters; until then such a request is refused as the XEP allows.
import { StanzaError, x } from '@cx/xmpp-core';
import { defineModule } from '../host';

const NS_LAST = 'jabber:iq:last';

export const last = defineModule({
  name: 'last',
  spec: 'XEP-0012',
  features: [NS_LAST],
  handlers: {
    'iq-get/host/jabber:iq:last:query': ({ deps }) =>
      x('query', { xmlns: NS_LAST, seconds: Math.floor((Date.now() - deps.startedAt) / 1000) }),
    'iq-get/bare/jabber:iq:last:query': () => new StanzaError('forbidden', 'a presence subscription is required'),
  },
});
