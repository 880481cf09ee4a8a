// What only the admin port (xmppctl) may call: ending anyone's sessions, and
// listing every session.
import type { AdminMethod } from '@cx/grpc';

export const sessionAdminMethods: AdminMethod[] = [
  { path: '/xmpp.session.v1.SessionService/Kick' },
  { path: '/xmpp.session.v1.SessionService/GetSessions' },
];
