import { describe, expect, it } from 'vitest';
import { StanzaError, x } from '@cx/xmpp-core';
import { credentialsAnswer, NS_EXTDISCO, parseService, servicesAnswer, type ExtdiscoOptions } from './services';

const opts: ExtdiscoOptions = {
  services: ['stun:turn.example.org:3478', 'turn:turn.example.org:3478:udp', 'turn:turn.example.org:3478:tcp', 'turns:turn.example.org:5349'].map(parseService),
  secret: 'north',
  ttlS: 86400,
};
const now = Date.UTC(2026, 11, 7, 12, 0, 0);

describe('XEP-0215 external services', () => {
  it('parses type:host:port[:transport]', () => {
    expect(parseService('turns:turn.example.org:5349')).toEqual({ type: 'turns', host: 'turn.example.org', port: 5349, transport: 'tcp' });
    expect(parseService('stun:[::1]:3478')).toEqual({ type: 'stun', host: '::1', port: 3478, transport: 'udp' });
    expect(() => parseService('turn:host')).toThrow(/type:host:port/);
    expect(() => parseService('turns:h:5349:udp')).toThrow(/tcp/);
  });

  it('lists every service, TURN ones with REST credentials (coturn use-auth-secret)', () => {
    const el = servicesAnswer(x('services', { xmlns: NS_EXTDISCO }), opts, 'juliet@example.org', now);
    const s = el.getChildren('service');
    expect(s.map((e) => `${e.attrs.type}/${e.attrs.transport}`)).toEqual(['stun/udp', 'turn/udp', 'turn/tcp', 'turns/tcp']);
    expect(s[0].attrs.username).toBeUndefined();
    // By hand: expiry = 2026-12-07T12:00:00Z + 1 day = 1796731200 (unix seconds).
    expect(s[1].attrs).toMatchObject({
      host: 'turn.example.org',
      port: '3478',
      username: '1796731200:juliet@example.org',
      expires: '2026-12-08T12:00:00Z',
      restricted: '1',
    });
    // printf '%s' '1796731200:juliet@example.org' | openssl dgst -sha1 -hmac north -binary | base64
    expect(s[1].attrs.password).toBe('0Tk/h292XItZoP+3px6euw5udns=');
  });

  it('filters by type (§3.3)', () => {
    const el = servicesAnswer(x('services', { xmlns: NS_EXTDISCO, type: 'turn' }), opts, 'juliet@example.org', now);
    expect(el.attrs.type).toBe('turn');
    expect(el.getChildren('service').map((e) => e.attrs.transport)).toEqual(['udp', 'tcp']);
  });

  it('answers a credentials request for a known service, refuses an unknown one (§3.4)', () => {
    const ok = credentialsAnswer(
      x('credentials', { xmlns: NS_EXTDISCO }, x('service', { host: 'turn.example.org', type: 'turns' })),
      opts,
      'j@example.org',
      now,
    );
    expect(ok).not.toBeInstanceOf(StanzaError);
    const el = ok as ReturnType<typeof x>;
    expect(el.getChildren('service')).toHaveLength(1);
    expect(el.getChild('service')?.attrs.username).toBe('1796731200:j@example.org');
    const no = credentialsAnswer(x('credentials', { xmlns: NS_EXTDISCO }, x('service', { host: 'other.example', type: 'turn' })), opts, 'j@example.org', now);
    expect((no as StanzaError).condition).toBe('item-not-found');
    expect((credentialsAnswer(x('credentials', { xmlns: NS_EXTDISCO }), opts, 'j', now) as StanzaError).condition).toBe('bad-request');
  });

  it('gives no credentials without a shared secret', () => {
    const el = servicesAnswer(x('services', { xmlns: NS_EXTDISCO }), { ...opts, secret: '' }, 'j@example.org', now);
    expect(el.getChildren('service').every((e) => e.attrs.password === undefined)).toBe(true);
  });
});
