// Types for slapd.mjs (a real OpenLDAP server for the LDAP auth tests).
export interface LdapUser {
  uid: string;
  password: string;
  /** default 'people' (the search base); 'other' is outside it */ ou?: string;
}
export interface Slapd {
  dir: string;
  suffix: string;
  /** ldap://127.0.0.1:<port>/ (StartTLS when started with tls) */
  url: string;
  /** ldaps://127.0.0.1:<port>/ when started with tls */
  ldapsUrl: string | null;
  port: number;
  /** ou=people,<suffix>: the user search base */
  base: string;
  /** The self-signed certificate (PEM) to trust, when started with tls */
  caFile: string | null;
  rootDn: string;
  rootPassword: string;
  /** The service account that may search (anonymous clients may only bind). */
  serviceDn: string;
  servicePassword: string;
  /** Start again after stop(), same port and data. */
  start(): Promise<void>;
  stop(): Promise<void>;
  setPassword(uid: string, password: string, ou?: string): void;
  addUser(user: LdapUser, uidNumber?: number): void;
}
export function startSlapd(o?: { dir?: string; suffix?: string; users?: LdapUser[]; tls?: boolean; onLine?: (l: string) => void }): Promise<Slapd>;
