// What only the admin port (xmppctl) may call: ending anyone's sessions, and
// listing every session. Looking up one user's sessions stays on the data
// port: an edge audits its own connections with it after a stall
// (apps/edge/src/session-audit.ts), and it tells no more than the registry the
// router reads anyway.
import type { AdminMethod } from '@cx/grpc';

export const sessionAdminMethods: AdminMethod[] = [
  { path: '/xmpp.session.v1.SessionService/Kick' },
  { path: '/xmpp.session.v1.SessionService/GetSessions', when: (req) => !(req as { bareJid?: string }).bareJid },
];
