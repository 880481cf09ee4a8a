// XEP-0280 Message Carbons: what the module advertises. The router gives its
// handlers (apps/router/src/modules/carbons): enable/disable, and the copies.
import { defineModule } from '../host';

export const NS_CARBONS = 'urn:xmpp:carbons:2';

export const carbons = defineModule({ name: 'carbons', spec: 'XEP-0280', features: [NS_CARBONS] });
