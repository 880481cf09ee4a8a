// XEP-0215 External Service Discovery: the feature on the domain (and so in
// the caps the edge advertises); the router's extdisco module answers with
// the configured STUN/TURN servers and TURN credentials (@cx/calls).
import { defineModule } from '../host';

export const NS_EXTDISCO = 'urn:xmpp:extdisco:2';

export const extdisco = defineModule({
  name: 'extdisco',
  spec: 'XEP-0215',
  features: [NS_EXTDISCO],
});
