// XEP-0077 In-Band Registration is served by the edge's c2s stream (with the
// auth service); this module only declares the disco feature.
import { NS } from '@cx/xmpp-core';
import { defineModule } from '../host';

export const register = defineModule({ name: 'register', spec: 'XEP-0077', features: [NS.REGISTER], servedBy: 'edge: c2s register module, with auth' });
