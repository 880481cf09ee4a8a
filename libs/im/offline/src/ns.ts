// Namespaces of the XEPs this library reads or writes (not yet in @cx/xmpp-core's NS).
export const OFFLINE_NS = {
  DELAY: 'urn:xmpp:delay', // XEP-0203
  HINTS: 'urn:xmpp:hints', // XEP-0334
  CHATSTATES: 'http://jabber.org/protocol/chatstates', // XEP-0085
  EVENT: 'jabber:x:event', // XEP-0022
  SID: 'urn:xmpp:sid:0', // XEP-0359
} as const;
