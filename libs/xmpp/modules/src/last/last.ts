// XEP-0012 Last Activity, on the server: seconds since it started (§4).
// About an account (§3): the router's last module answers from the time the
// user's last session went away (apps/router/src/modules/last); without it,
// such a request is refused as the XEP allows.
import { StanzaError, x } from '@cx/xmpp-core';
import { defineModule } from '../host';

const NS_LAST = 'jabber:iq:last';

export const last = defineModule({
  name: 'last',
  spec: 'XEP-0012',
  features: [NS_LAST],
  account: { features: [NS_LAST] },
  handlers: {
    'iq-get/host/jabber:iq:last:query': ({ deps }) => x('query', { xmlns: NS_LAST, seconds: Math.floor((Date.now() - deps.startedAt) / 1000) }),
    'iq-get/bare/jabber:iq:last:query': () => new StanzaError('forbidden', 'a presence subscription is required'),
  },
});
