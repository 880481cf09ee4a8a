// XEP-0313 Message Archive Management and XEP-0359 stanza ids: what the
// module advertises, on each account's bare JID as clients look for it. The
// router gives its handlers (apps/router/src/modules/mam): archiving and
// stamping messages as they are routed, queries and preferences.
import { defineModule } from '../host';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_SID = 'urn:xmpp:sid:0';

export const mam = defineModule({ name: 'mam', spec: 'XEP-0313', features: [], account: { features: [NS_MAM, NS_SID] } });
