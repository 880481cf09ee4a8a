// XEP-0191 Blocking Command: what the module advertises. Its handlers need the
// router's block-list mirror and sessions, so the router gives them
// (apps/router/src/modules/blocking); it refuses to start a module that
// advertises a feature and serves nothing.
import { defineModule } from '../host';

export const NS_BLOCKING = 'urn:xmpp:blocking';

export const blocking = defineModule({ name: 'blocking', spec: 'XEP-0191', features: [NS_BLOCKING] });
