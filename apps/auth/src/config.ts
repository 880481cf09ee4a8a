import { bool, commonSettings, defineConfig, grpcServerSettings, int, oneOf, str } from '@cx/config';

export const authConfig = defineConfig({
  ...commonSettings,
  ...grpcServerSettings,
  AUTH_GRPC_PORT: int(50051, 'gRPC port of the auth service', 0, 65535),
  AUTH_ADMIN_PORT: int(50061, "gRPC port of the auth service's admin calls (xmppctl); the data port refuses them", 0, 65535),
  AUTH_BACKEND: oneOf(['internal', 'ldap'] as const, 'internal', 'Account backend: internal (JetStream KV) or ldap (read-only, PLAIN checked by an LDAP bind)'),
  LDAP_URL: str('', 'LDAP server: ldap://host:389 (StartTLS unless LDAP_STARTTLS=false) or ldaps://host:636; required with AUTH_BACKEND=ldap'),
  LDAP_STARTTLS: bool(true, 'Upgrade ldap:// connections with StartTLS (false only on a protected link)'),
  LDAP_BIND_DN: str('', 'DN of the service account that searches for users (empty: anonymous search)'),
  LDAP_BIND_PASSWORD: str('', 'Password of the service account'),
  LDAP_BASE: str('', 'Search base for users, e.g. ou=people,dc=example,dc=org; required with AUTH_BACKEND=ldap'),
  LDAP_FILTER: str('(uid=%u)', 'User search filter; %u is the username, escaped as RFC 4515 says'),
  LDAP_TLS_CA_FILE: str('', 'PEM CA bundle that signed the LDAP server certificate (empty: the system CAs)'),
  LDAP_TLS_VERIFY: bool(true, 'Verify the LDAP server certificate and host name'),
  LDAP_POOL_SIZE: int(4, 'LDAP connections kept for searches, and as many for password binds', 1, 256),
  LDAP_TIMEOUT_MS: int(5000, 'Connect and operation timeout for LDAP; beyond it logins get temporary-auth-failure', 100, 600_000),
  LDAP_SCRAM_CACHE: bool(false, 'Also offer SCRAM to LDAP users: keys derived at each PLAIN-over-TLS login verified by LDAP, kept in KV xmpp_ldap_scram'),
  LDAP_SCRAM_LIFETIME_S: int(86400, 'Age after which cached SCRAM keys stop working and an LDAP bind (PLAIN) is needed again', 1, 31_536_000),
  REGISTRATION_OPEN: bool(false, 'Allow in-band registration of new accounts (XEP-0077); keep it off in production (XEP-0479)'),
  REGISTRATION_INSTRUCTIONS: str('Choose a username and password to register with this server.', 'Instructions in the registration form'),
  ACCOUNT_CACHE_SIZE: int(100000, 'Accounts the auth service keeps in memory (changes made anywhere are seen at once through a KV watch; 0: none)', 0),
  DIGEST_MD5_ENABLED: bool(
    true,
    'Offer DIGEST-MD5 and store its HA1 (an unsalted MD5 that works as the password) with each new password; off: not offered, not stored, and an old HA1 is removed at the next login or password change',
  ),
  SCRAM_ITERATIONS: int(4096, 'PBKDF2 iteration count for new SCRAM credentials', 4096, 10_000_000),
  MAX_AUTH_FAILURES_PER_ACCOUNT: int(
    10,
    'Failed authentications for one account per AUTH_FAILURE_WINDOW_MS (per auth replica) before its logins get temporary-auth-failure (0: no limit)',
    0,
  ),
  AUTH_FAILURE_WINDOW_MS: int(300000, 'The window of MAX_AUTH_FAILURES_PER_ACCOUNT', 1000),
  ACCOUNT_REMOVAL_WAIT_MS: int(
    5000,
    'How long an account removal waits for the routers to remove its data before answering (it completes later if they are slow; the name cannot be registered again until then)',
    0,
    9000,
  ),
});

export type AuthConfig = ReturnType<typeof authConfig.load>;
