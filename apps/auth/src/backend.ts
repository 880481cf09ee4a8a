// Which account store the auth service runs on (AUTH_BACKEND): the built-in
// JetStream KV store, or LDAP (read-only; PLAIN checked by a bind, SCRAM too
// when LDAP_SCRAM_CACHE is on). Nothing outside auth knows which.
import { readFileSync } from 'node:fs';
import { checkFilterTemplate, checkUrl, LdapAccountStore, LdapScramCache, type LdapOptions } from '@cx/auth-ldap';
import { KvAccountStore, type AccountStore } from '@cx/auth-store';
import type { Bus } from '@cx/bus';
import { ConfigError } from '@cx/config';
import type { Logger } from '@cx/log';
import type { AuthConfig } from './config';

export interface Backend {
  store: AccountStore;
  close(): Promise<void>;
}

function problemsOf(c: AuthConfig): string[] {
  const p: string[] = [];
  if (!c.LDAP_URL) p.push('LDAP_URL: required with AUTH_BACKEND=ldap');
  else {
    try {
      checkUrl(c.LDAP_URL);
    } catch (err) {
      p.push(`LDAP_URL: ${(err as Error).message}`);
    }
  }
  if (!c.LDAP_BASE) p.push('LDAP_BASE: required with AUTH_BACKEND=ldap');
  p.push(...checkFilterTemplate(c.LDAP_FILTER).map((m) => `LDAP_FILTER: ${m}`));
  if (c.LDAP_BIND_DN && !c.LDAP_BIND_PASSWORD) p.push('LDAP_BIND_PASSWORD: required with LDAP_BIND_DN');
  return p;
}

/** The LDAP settings, all problems reported at once (ConfigError). */
export function ldapOptions(c: AuthConfig): LdapOptions {
  const problems = problemsOf(c);
  let tlsCa: string | undefined;
  if (c.LDAP_TLS_CA_FILE) {
    try {
      tlsCa = readFileSync(c.LDAP_TLS_CA_FILE, 'utf8');
    } catch (err) {
      problems.push(`LDAP_TLS_CA_FILE: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    url: c.LDAP_URL,
    startTls: c.LDAP_STARTTLS,
    bindDn: c.LDAP_BIND_DN,
    bindPassword: c.LDAP_BIND_PASSWORD,
    base: c.LDAP_BASE,
    filter: c.LDAP_FILTER,
    tlsCa,
    tlsVerify: c.LDAP_TLS_VERIFY,
    poolSize: c.LDAP_POOL_SIZE,
    timeoutMs: c.LDAP_TIMEOUT_MS,
  };
}

export async function openBackend(c: AuthConfig, bus: Bus, log: Logger): Promise<Backend> {
  if (c.AUTH_BACKEND === 'internal') {
    const store = await KvAccountStore.open(bus, {
      domain: c.XMPP_DOMAIN,
      iterations: c.SCRAM_ITERATIONS,
      cacheSize: c.ACCOUNT_CACHE_SIZE,
      digestMd5: c.DIGEST_MD5_ENABLED,
    });
    return { store, close: async () => undefined };
  }
  const options = ldapOptions(c);
  const cache = c.LDAP_SCRAM_CACHE ? await LdapScramCache.open(bus, { iterations: c.SCRAM_ITERATIONS, lifetimeMs: c.LDAP_SCRAM_LIFETIME_S * 1000 }) : undefined;
  const store = new LdapAccountStore(options, log, cache);
  log.info(
    { url: options.url, startTls: options.startTls, base: options.base, scramCache: !!cache, scramLifetimeS: cache ? c.LDAP_SCRAM_LIFETIME_S : undefined },
    'LDAP account backend',
  );
  return { store, close: () => store.close() };
}
