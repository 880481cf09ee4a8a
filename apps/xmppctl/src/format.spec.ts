import { describe, expect, it } from 'vitest';
import { sessionv1 } from '@cx/proto';
import { asJid, stats } from './format';

describe('asJid', () => {
  it('adds the domain to a bare username and keeps JIDs and the domain', () => {
    expect(asJid('alice', 'example.org')).toBe('alice@example.org');
    expect(asJid('alice@example.org/phone', 'example.org')).toBe('alice@example.org/phone');
    expect(asJid('example.org', 'example.org')).toBe('example.org');
  });
});

describe('stats', () => {
  const entry = (edgeId: string, detachedUntilMs = 0) => sessionv1.SessionEntry.fromPartial({ resource: 'r', edgeId, detachedUntilMs });
  it('counts registered and online users, sessions, detached ones, and sessions per edge', () => {
    const online = {
      users: [
        { bareJid: 'a@x', sessions: [entry('edge-b'), entry('edge-a')] },
        { bareJid: 'b@x', sessions: [entry('edge-a', 123)] },
        { bareJid: 'c@x', sessions: [] },
      ],
    };
    expect(stats(7, online)).toEqual([
      'registered users\t7',
      'online users\t2',
      'sessions\t3',
      'sessions waiting to be resumed\t1',
      'sessions on edge-a\t2',
      'sessions on edge-b\t1',
    ]);
  });
  it('reports an idle server', () => {
    expect(stats(0, { users: [] })).toEqual(['registered users\t0', 'online users\t0', 'sessions\t0', 'sessions waiting to be resumed\t0']);
  });
});
