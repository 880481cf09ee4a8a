// XEP-0352 Client State Indication: <inactive/> and <active/> after binding;
// the edge holds back what is not urgent while the client is inactive.
import { x } from '@cx/xmpp-core';
import { stay } from '../stream';
import type { C2sModule } from '../types';

export const NS_CSI = 'urn:xmpp:csi:0';

export const csi: C2sModule = {
  name: 'csi',
  spec: 'XEP-0352',
  postAuthFeatures: () => [x('csi', { xmlns: NS_CSI })],
  elements: [
    { states: ['wait_for_session', 'session_established'], name: 'active', xmlns: NS_CSI, handle: (s) => stay(s, { type: 'csi', active: true }) },
    { states: ['wait_for_session', 'session_established'], name: 'inactive', xmlns: NS_CSI, handle: (s) => stay(s, { type: 'csi', active: false }) },
  ],
};
