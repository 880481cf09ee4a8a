// Namespaces of the XEPs this library reads or writes (the shared ones are @cx/xmpp-core's NS).
import { NS } from '@cx/xmpp-core';

export const OFFLINE_NS = {
  DELAY: NS.DELAY,
  HINTS: NS.HINTS,
  CHATSTATES: NS.CHATSTATES,
  EVENT: 'jabber:x:event', // XEP-0022
  SID: NS.SID,
} as const;
