// Features served outside the module host but advertised in the server's
// disco#info (and so in its caps hash): the router's offline storage
// (XEP-0160), Message Carbons (XEP-0280) and blocking (XEP-0191).
import { defineModule } from '../host';

export const offlineFeature = defineModule({ name: 'offline', spec: 'XEP-0160', features: ['msgoffline'], servedBy: 'router: routing.ts noResources, im.ts initial' });
export const carbonsFeature = defineModule({ name: 'carbons', spec: 'XEP-0280', features: ['urn:xmpp:carbons:2'], servedBy: 'router: im/carbons.ts' });
export const blockingFeature = defineModule({ name: 'blocking', spec: 'XEP-0191', features: ['urn:xmpp:blocking'], servedBy: 'router: im/blocking.ts' });
