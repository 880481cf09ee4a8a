// The per-account back-off: counts not-authorized per username in a sliding window, and a
// backed-off account's next exchange ends with temporary-auth-failure before any credential check.
import { describe, expect, it } from 'vitest';
import { AccountFailures, watchedSource } from './auth-failures';
import type { CredentialSource } from '@cx/sasl';

const source = (calls: string[]): CredentialSource => ({
  getScram: async (u) => (calls.push(`scram:${u}`), null),
  getDigestHa1: async (u) => (calls.push(`ha1:${u}`), null),
  testPassword: async (u) => (calls.push(`test:${u}`), false),
});

describe('AccountFailures', () => {
  it('blocks an account after max failures in the window, until the oldest leaves it', () => {
    const f = new AccountFailures(3, 1000);
    f.failed('juliet', 0);
    f.failed('juliet', 100);
    expect(f.blockedFor('juliet', 200)).toBe(0);
    f.failed('juliet', 200);
    expect(f.blockedFor('juliet', 300)).toBe(700);
    expect(f.blockedFor('romeo', 300)).toBe(0);
    expect(f.blockedFor('juliet', 1000)).toBe(0);
    f.close();
  });

  it('forgets an account on success, and old entries on sweep', () => {
    const f = new AccountFailures(2, 1000);
    f.failed('juliet', 0);
    f.failed('juliet', 1);
    f.succeeded('juliet');
    expect(f.blockedFor('juliet', 2)).toBe(0);
    f.failed('romeo', 0);
    f.sweep(5000);
    f.failed('romeo', 5000);
    expect(f.blockedFor('romeo', 5001)).toBe(0);
    f.close();
  });

  it('0 means no limit', () => {
    const f = new AccountFailures(0, 1000);
    for (let i = 0; i < 100; i++) f.failed('juliet', i);
    expect(f.enabled).toBe(false);
    expect(f.blockedFor('juliet', 100)).toBe(0);
  });
});

describe('watchedSource', () => {
  it('remembers the prepared username and passes calls through', async () => {
    const calls: string[] = [];
    const w = watchedSource(source(calls), new AccountFailures(2, 60_000));
    expect(w.username).toBeUndefined();
    expect(await w.source.testPassword('Juliet', 'x')).toBe(false);
    expect(w.username).toBe('juliet');
    expect(calls).toEqual(['test:Juliet']);
  });

  it('refuses a backed-off account with temporary-auth-failure without asking the backend', async () => {
    const calls: string[] = [];
    const failures = new AccountFailures(1, 60_000);
    failures.failed('juliet');
    const w = watchedSource(source(calls), failures);
    await expect(w.source.getScram('juliet', 'SHA-256')).rejects.toMatchObject({
      condition: 'temporary-auth-failure',
      text: expect.stringMatching(/try again in 60 s/),
    });
    expect(calls).toEqual([]);
    expect(await watchedSource(source(calls), failures).source.getScram('romeo', 'SHA-256')).toBeNull();
    failures.close();
  });
});
