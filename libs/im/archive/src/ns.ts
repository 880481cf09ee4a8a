// Namespaces of the XEPs this library reads or writes.
export const MAM_NS = {
  MAM: 'urn:xmpp:mam:2', // XEP-0313
  SID: 'urn:xmpp:sid:0', // XEP-0359
  FORWARD: 'urn:xmpp:forward:0', // XEP-0297
  DELAY: 'urn:xmpp:delay', // XEP-0203
  RSM: 'http://jabber.org/protocol/rsm', // XEP-0059
  DATA: 'jabber:x:data', // XEP-0004
  HINTS: 'urn:xmpp:hints', // XEP-0334
  CHATSTATES: 'http://jabber.org/protocol/chatstates', // XEP-0085
  RECEIPTS: 'urn:xmpp:receipts', // XEP-0184
  MARKERS: 'urn:xmpp:chat-markers:0', // XEP-0333
  JMI: 'urn:xmpp:jingle-message:0', // XEP-0353
  OMEMO_LEGACY: 'eu.siacs.conversations.axolotl', // XEP-0384 0.3
  OMEMO: 'urn:xmpp:omemo:2', // XEP-0384
  EME: 'urn:xmpp:eme:0', // XEP-0380
  CARBONS: 'urn:xmpp:carbons:2', // XEP-0280
} as const;
