import { describe, expect, it } from 'vitest';
import { IpLimits } from './ip-limits';
import { edgeConfig } from './config';

describe('IpLimits', () => {
  it('caps connections per address and frees a slot on close', () => {
    const l = new IpLimits(2, 0, 1000);
    expect([l.open('a'), l.open('a'), l.open('a'), l.open('b')]).toEqual([true, true, false, true]);
    l.close('a');
    expect(l.open('a')).toBe(true);
  });
  it('blocks authentication after N failures in the window, until the oldest leaves it', () => {
    const l = new IpLimits(0, 3, 1000);
    for (const t of [0, 100, 200]) l.authFailed('a', 'u', t);
    expect(l.authBlockedFor('a', 300)).toBe(700);
    expect(l.authBlockedFor('b', 300)).toBe(0);
    expect(l.authBlockedFor('a', 1000)).toBe(0);
  });
  it("a user who logs in takes back his own failures at that address, not other accounts'", () => {
    const l = new IpLimits(0, 3, 1000);
    l.authFailed('a', 'typo', 0);
    l.authFailed('a', 'typo', 10);
    l.authFailed('a', 'victim', 20);
    expect(l.authBlockedFor('a', 30)).toBe(970);
    l.authSucceeded('a', 'typo', 40);
    expect(l.authBlockedFor('a', 50)).toBe(0);
    l.authFailed('a', 'other', 60);
    l.authFailed('a', 'victim', 70);
    // Guessing at other accounts stays counted even when the guesser logs in to his own.
    l.authSucceeded('a', 'guesser', 80);
    expect(l.authBlockedFor('a', 90)).toBe(930);
  });
  it('0 means no limit', () => {
    const l = new IpLimits(0, 0, 1000);
    for (let i = 0; i < 100; i++) expect(l.open('a')).toBe(true);
    l.authFailed('a');
    expect(l.authBlockedFor('a')).toBe(0);
  });
  it('ships a per-address cap that loopback (a local TLS terminator, tests, tools/bench) is exempt from', () => {
    const c = edgeConfig.load({});
    const l = new IpLimits(c.MAX_CONNECTIONS_PER_IP, 0, 1000, c.MAX_CONNECTIONS_PER_IP_EXEMPT);
    expect(c.MAX_CONNECTIONS_PER_IP).toBe(256);
    for (let i = 0; i < 256; i++) expect(l.open('203.0.113.7')).toBe(true);
    expect(l.open('203.0.113.7')).toBe(false);
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) for (let i = 0; i < 300; i++) expect(l.open(ip)).toBe(true);
  });
  it('exempts only the listed addresses', () => {
    const l = new IpLimits(1, 0, 1000, ['192.0.2.1']);
    expect([l.open('192.0.2.1'), l.open('192.0.2.1'), l.open('127.0.0.1'), l.open('127.0.0.1')]).toEqual([true, true, true, false]);
    const none = edgeConfig.load({ MAX_CONNECTIONS_PER_IP_EXEMPT: 'none', MAX_CONNECTIONS_PER_IP: '1' });
    const strict = new IpLimits(none.MAX_CONNECTIONS_PER_IP, 0, 1000, none.MAX_CONNECTIONS_PER_IP_EXEMPT);
    expect([strict.open('127.0.0.1'), strict.open('127.0.0.1')]).toEqual([true, false]);
  });
});
