import { describe, expect, it } from 'vitest';
import { ConfigError } from '@cx/config';
import { ldapOptions } from './backend';
import { authConfig } from './config';

const load = (env: Record<string, string>) => authConfig.load({ AUTH_BACKEND: 'ldap', ...env });

describe('LDAP settings', () => {
  it('maps the LDAP_* settings, with StartTLS and (uid=%u) by default', () => {
    const o = ldapOptions(
      load({
        LDAP_URL: 'ldap://ldap.example.org',
        LDAP_BASE: 'ou=people,dc=example,dc=org',
        LDAP_BIND_DN: 'cn=xmpp,dc=example,dc=org',
        LDAP_BIND_PASSWORD: 's',
      }),
    );
    expect(o).toMatchObject({
      url: 'ldap://ldap.example.org',
      startTls: true,
      filter: '(uid=%u)',
      tlsVerify: true,
      poolSize: 4,
      timeoutMs: 5000,
      bindDn: 'cn=xmpp,dc=example,dc=org',
    });
    expect(o.tlsCa).toBeUndefined();
  });

  it('reports every problem at once, naming the settings', () => {
    let err: unknown;
    try {
      ldapOptions(load({ LDAP_URL: 'http://x', LDAP_FILTER: 'uid=bob', LDAP_BIND_DN: 'cn=x', LDAP_TLS_CA_FILE: '/nonexistent/ca.pem' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems.join('\n');
    for (const key of ['LDAP_URL', 'LDAP_BASE', 'LDAP_FILTER', 'LDAP_BIND_PASSWORD', 'LDAP_TLS_CA_FILE']) expect(text).toContain(key);
  });

  it('refuses an unknown backend', () => {
    expect(() => authConfig.load({ AUTH_BACKEND: 'pam' })).toThrow(/AUTH_BACKEND/);
  });
});
