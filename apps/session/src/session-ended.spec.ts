import { describe, expect, it } from 'vitest';
import type { Bus } from '@cx/bus';
import { eventsv1 } from '@cx/proto';
import type { SessionEntry } from '@cx/session-directory';
import { MAX_REMAINING_BYTES, publishEnded } from './session-service';

const entry = (resource: string, connectionId: string, presence = Buffer.alloc(0)): SessionEntry => ({
  resource,
  edgeId: 'e1',
  connectionId,
  available: true,
  priority: 0,
  boundAtMs: 0,
  interested: false,
  presence,
  carbons: false,
  directed: [],
  smId: '',
  detachedUntilMs: 0,
});

/** The SessionEnded events a bus was given. */
function bus() {
  const events: eventsv1.SessionEnded[] = [];
  const b = { nc: { publish: (_subject: string, data: Uint8Array) => void events.push(eventsv1.SessionEnded.decode(data)) } } as unknown as Bus;
  return { b, events };
}

describe('SessionEnded carries the sessions the same registry update left', () => {
  it('carries them, an empty list when it was the last one', () => {
    const { b, events } = bus();
    publishEnded(b, 'u@localhost/a', entry('a', 'c1'), 'closed', { sessions: [entry('b', 'c2')] });
    publishEnded(b, 'u@localhost/b', entry('b', 'c2'), 'closed', { sessions: [] });
    expect(events[0].remaining?.sessions.map((s) => s.connectionId)).toEqual(['c2']);
    expect(events[1].remaining).toEqual({ sessions: [] });
  });

  it('leaves them out past MAX_REMAINING_BYTES (the routers then read the registry)', () => {
    const { b, events } = bus();
    publishEnded(b, 'u@localhost/a', entry('a', 'c1'), 'closed', { sessions: [entry('b', 'c2', Buffer.alloc(MAX_REMAINING_BYTES))] });
    expect(events[0].remaining).toBeUndefined();
    expect(events[0].connectionId).toBe('c1');
  });
});
