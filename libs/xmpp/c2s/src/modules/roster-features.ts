// Stream features the router's roster implementation supports (RFC 6121):
// roster versioning (§2.6.1) and subscription pre-approval (§3.4.1).
import { x } from '@cx/xmpp-core';
import type { C2sModule } from '../types';

export const rosterFeatures: C2sModule = {
  name: 'roster-features',
  spec: 'RFC 6121 §2.6.1, §3.4.1',
  postAuthFeatures: () => [x('ver', { xmlns: 'urn:xmpp:features:rosterver' }), x('sub', { xmlns: 'urn:xmpp:features:pre-approval' })],
};
