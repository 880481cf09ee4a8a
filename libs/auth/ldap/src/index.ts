// Public API of @cx/auth-ldap: the read-only LDAP account backend.
export { LdapAccountStore } from './ldap-store';
export { LdapScramCache, LDAP_SCRAM_BUCKET } from './scram-cache';
export type { ScramCacheOptions } from './scram-cache';
export type { LdapOptions } from './options';
export { LdapConfigError, checkUrl } from './connection';
export { checkFilterTemplate, escapeFilterValue } from './filter';
