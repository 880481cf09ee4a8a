// Namespaces of the XEPs this library reads or writes (the shared ones are @cx/xmpp-core's NS).
import { NS } from '@cx/xmpp-core';

export const MAM_NS = {
  MAM: 'urn:xmpp:mam:2', // XEP-0313
  SID: NS.SID,
  FORWARD: NS.FORWARD,
  DELAY: NS.DELAY,
  RSM: 'http://jabber.org/protocol/rsm', // XEP-0059
  DATA: NS.DATA,
  HINTS: NS.HINTS,
  CHATSTATES: NS.CHATSTATES,
  RECEIPTS: 'urn:xmpp:receipts', // XEP-0184
  MARKERS: 'urn:xmpp:chat-markers:0', // XEP-0333
  JMI: 'urn:xmpp:jingle-message:0', // XEP-0353
  OMEMO_LEGACY: 'eu.siacs.conversations.axolotl', // XEP-0384 0.3
  OMEMO: 'urn:xmpp:omemo:2', // XEP-0384
  EME: 'urn:xmpp:eme:0', // XEP-0380
  CARBONS: 'urn:xmpp:carbons:2', // XEP-0280
} as const;
