// XEP-0160 offline messages: what the module advertises ('msgoffline',
// XEP-0013 §2). The router gives its handlers (apps/router/src/modules/offline):
// storing a message no session can take, handing it over at initial presence.
import { defineModule } from '../host';

export const offline = defineModule({ name: 'offline', spec: 'XEP-0160', features: ['msgoffline'] });
