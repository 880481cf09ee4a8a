import { describe, expect, it } from 'vitest';
import { IpLimits } from './ip-limits';

describe('IpLimits', () => {
  it('caps connections per address and frees a slot on close', () => {
    const l = new IpLimits(2, 0, 1000);
    expect([l.open('a'), l.open('a'), l.open('a'), l.open('b')]).toEqual([true, true, false, true]);
    l.close('a');
    expect(l.open('a')).toBe(true);
  });
  it('blocks authentication after N failures in the window, until the oldest leaves it', () => {
    const l = new IpLimits(0, 3, 1000);
    for (const t of [0, 100, 200]) l.authFailed('a', t);
    expect(l.authBlockedFor('a', 300)).toBe(700);
    expect(l.authBlockedFor('b', 300)).toBe(0);
    expect(l.authBlockedFor('a', 1000)).toBe(0);
  });
  it('0 means no limit', () => {
    const l = new IpLimits(0, 0, 1000);
    for (let i = 0; i < 100; i++) expect(l.open('a')).toBe(true);
    l.authFailed('a');
    expect(l.authBlockedFor('a')).toBe(0);
  });
});
