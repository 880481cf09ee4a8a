// What the LDAP backend needs to know; apps/auth maps its LDAP_* settings here.

export interface LdapOptions {
  /** ldap://host[:port] or ldaps://host[:port] */
  url: string;
  /** Upgrade ldap:// connections with StartTLS before anything else is sent. */
  startTls: boolean;
  /** The service account that searches (empty: anonymous search). */
  bindDn: string;
  bindPassword: string;
  /** Users are searched for under this DN (subtree); anyone elsewhere is unknown. */
  base: string;
  /** e.g. (uid=%u); the username is escaped (RFC 4515). */
  filter: string;
  /** PEM CA certificates to trust for the server (default: the system's). */
  tlsCa?: string;
  /** Verify the server certificate and name (default true). */
  tlsVerify?: boolean;
  /** Connections for searches, and as many for password binds. */
  poolSize: number;
  /** Connect and per-operation timeout. */
  timeoutMs: number;
}
