// What only the admin port (xmppctl) may call: listing every account, and
// registering past closed registration. The edge keeps the in-band
// operations (XEP-0077) for the user of its authenticated stream.
import type { AdminMethod } from '@cx/grpc';

export const authAdminMethods: AdminMethod[] = [
  { path: '/xmpp.auth.v1.AuthService/ListUsers' },
  { path: '/xmpp.auth.v1.AuthService/Register', when: (req) => (req as { admin?: boolean }).admin === true },
];
