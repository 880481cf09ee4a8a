import { describe, expect, it } from 'vitest';
import type { SessionEntry } from '@cx/session-directory';
import { applyPresence, entryTooLarge } from './presence-update';

const session = (directed: string[] = []): SessionEntry => ({
  resource: 'r',
  edgeId: 'e',
  connectionId: 'c',
  available: true,
  priority: 0,
  boundAtMs: 0,
  interested: true,
  presence: Buffer.from('<presence/>'),
  carbons: false,
  directed,
  smId: '',
  detachedUntilMs: 0,
});
const req = (o: object) => ({ fullJid: 'a@x/r', connectionId: 'c', ...o });

describe('applyPresence: directed-presence recipients', () => {
  it('refuses a new recipient past the count bound, keeps known ones, and forgets on unavailable', () => {
    const limits = { maxCount: 3, maxBytes: 65536 };
    let s = session();
    for (const j of ['b@x', 'c@x', 'd@x']) {
      const r = applyPresence(s, req({ directedAdd: j }), limits);
      expect(r.refused).toBe(false);
      s = r.entry;
    }
    const over = applyPresence(s, req({ directedAdd: 'e@x' }), limits);
    expect(over.refused).toBe(true);
    expect(over.entry.directed).toEqual(['b@x', 'c@x', 'd@x']);
    expect(over.unchanged).toBe(true);
    expect(applyPresence(s, req({ directedAdd: 'c@x' }), limits)).toMatchObject({ refused: false, unchanged: true });
    expect(applyPresence(s, req({ directedRemove: 'c@x' }), limits).entry.directed).toEqual(['b@x', 'd@x']);
    expect(applyPresence(s, req({ available: false }), limits).entry.directed).toEqual([]);
  });
  it('refuses a recipient that would take the JIDs past the byte bound', () => {
    const limits = { maxCount: 1000, maxBytes: 1024 };
    const long = (i: number) => `${'x'.repeat(300)}${i}@x`;
    let s = session();
    for (let i = 0; i < 3; i++) s = applyPresence(s, req({ directedAdd: long(i) }), limits).entry;
    expect(applyPresence(s, req({ directedAdd: long(3) }), limits).refused).toBe(true);
    expect(s.directed).toHaveLength(3);
  });
  it('does not rewrite the entry when nothing changed', () => {
    const limits = { maxCount: 10, maxBytes: 65536 };
    const s = session(['b@x']);
    expect(applyPresence(s, req({ directedRemove: 'z@x' }), limits).unchanged).toBe(true);
    expect(applyPresence(s, req({ available: true }), limits).unchanged).toBe(true);
    expect(applyPresence(s, req({ priority: 5 }), limits).unchanged).toBe(false);
  });
});

describe("entryTooLarge: the account's whole registry entry", () => {
  const big = (n: number): SessionEntry => ({ ...session(), presence: Buffer.from(`<presence><status>${'x'.repeat(n)}</status></presence>`) });

  it('refuses an update that makes the entry pass the bound', () => {
    const cur = { sessions: [session()] };
    expect(entryTooLarge(cur, { sessions: [big(100)] }, 4096)).toBe(false);
    expect(entryTooLarge(cur, { sessions: [big(5000)] }, 4096)).toBe(true);
    // Many resources, each within any per-stanza limit, add up.
    const many = Array.from({ length: 8 }, (_, i) => ({ ...big(600), resource: `r${i}` }));
    expect(entryTooLarge(cur, { sessions: many }, 4096)).toBe(true);
  });

  it('lets through anything that shrinks the entry, even above the bound (a lowered setting, going unavailable)', () => {
    const cur = { sessions: [big(8000)] };
    expect(entryTooLarge(cur, { sessions: [big(7000)] }, 4096)).toBe(false);
    expect(entryTooLarge(cur, { sessions: [session()] }, 4096)).toBe(false);
  });
});
