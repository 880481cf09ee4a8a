// XEP-0163 Personal Eventing Protocol: what the module advertises on every
// account's bare JID (identity pubsub/pep and the XEP-0060 features clients
// check, each served by the router's pep module: apps/router/src/modules/pep).
import { defineModule } from '../host';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';

/** The pubsub features PEP serves (XEP-0060 §10), each implemented. */
export const PEP_FEATURES = [
  'access-open',
  'access-presence',
  'access-roster',
  'access-whitelist',
  'auto-create',
  'auto-subscribe',
  'config-node',
  'config-node-max',
  'create-and-configure',
  'create-nodes',
  'delete-items',
  'delete-nodes',
  'filtered-notifications',
  'item-ids',
  'last-published',
  'multi-items',
  'persistent-items',
  'presence-notifications',
  'publish',
  'publish-options',
  'purge-nodes',
  'retract-items',
  'retrieve-default',
  'retrieve-items',
  'retrieve-subscriptions',
  'subscribe',
].map((f) => `${NS_PUBSUB}#${f}`);

/** Bookmarks kept in sync between XEP-0048 private XML and XEP-0402 (XEP-0411, XEP-0402 §3.4 #compat): through the private module's store. */
export const BOOKMARK_CONVERSION = ['urn:xmpp:bookmarks-conversion:0', 'urn:xmpp:bookmarks:1#compat'];

/** XEP-0402 §3.4 #compat-pep: XEP-0048's PEP node (storage:bookmarks) and XEP-0402's kept in sync, within PEP. */
export const BOOKMARK_COMPAT_PEP = 'urn:xmpp:bookmarks:1#compat-pep';

/** XEP-0398: the XEP-0084 avatar and the vCard's PHOTO kept the same. */
export const AVATAR_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

export const pep = defineModule({
  name: 'pep',
  spec: 'XEP-0163, XEP-0060, XEP-0223, XEP-0411, XEP-0402, XEP-0398',
  account: {
    identities: [{ category: 'pubsub', type: 'pep' }],
    features: [NS_PUBSUB, ...PEP_FEATURES, BOOKMARK_COMPAT_PEP],
    // The conversions go through the private and vcard modules' stores: without them, neither is served.
    featuresWith: { private: BOOKMARK_CONVERSION, vcard: [AVATAR_CONVERSION] },
  },
});
