import { describe, expect, it } from 'vitest';
import { createLogger } from '@cx/log';
import type { sessionv1 } from '@cx/proto';
import { auditSessions, verdict, type AuditedConnection } from './session-audit';

const EDGE = 'edge-1';
const entry = (o: Partial<sessionv1.SessionEntry>): sessionv1.SessionEntry => ({
  resource: 'r',
  edgeId: EDGE,
  connectionId: 'c1',
  available: true,
  priority: 0,
  boundAtMs: 0,
  interested: true,
  presence: Buffer.alloc(0),
  carbons: false,
  directed: [],
  smId: '',
  detachedUntilMs: 0,
  ...o,
});

class Conn implements AuditedConnection {
  established = true;
  gone = false;
  kicked?: string;
  handedOver = false;
  constructor(
    readonly id: string,
    readonly jid: string,
    readonly sm?: { id: string; holding: boolean },
  ) {}
  kick(condition: string): void {
    this.kicked = condition;
    this.gone = true;
  }
  handOver(): void {
    this.handedOver = true;
    this.kick('conflict');
  }
}

describe('verdict', () => {
  it('keeps a session still registered to the connection, attaches a detached one again', () => {
    expect(verdict({ id: 'c1' }, 'r', [entry({})], EDGE)).toBe('ok');
    expect(verdict({ id: 'c1', sm: { id: 'sm1', holding: false } }, 'r', [entry({ smId: 'sm1', detachedUntilMs: 99 })], EDGE)).toBe('reattach');
  });
  it('tells a session that ended, was replaced, or was resumed elsewhere', () => {
    expect(verdict({ id: 'c1' }, 'r', [entry({ resource: 'other' })], EDGE)).toBe('ended');
    expect(verdict({ id: 'c1' }, 'r', [], EDGE)).toBe('ended');
    expect(verdict({ id: 'c1' }, 'r', [entry({ connectionId: 'c9' })], EDGE)).toBe('replaced');
    expect(verdict({ id: 'c1', sm: { id: 'sm1', holding: false } }, 'r', [entry({ connectionId: 'c9', edgeId: 'edge-2', smId: 'sm1' })], EDGE)).toBe(
      'resumed-elsewhere',
    );
    expect(verdict({ id: 'c1', sm: { id: 'sm1', holding: false } }, 'r', [entry({ connectionId: 'c9', smId: 'sm2' })], EDGE)).toBe('replaced');
  });
});

describe('auditSessions', () => {
  it('closes every connection without its session with the right stream error and attaches detached ones', async () => {
    const registry: Record<string, sessionv1.SessionEntry[]> = {
      'a@x': [entry({ resource: 'r', connectionId: 'c1' })],
      'b@x': [],
      'c@x': [entry({ resource: 'r', connectionId: 'c9' })],
      'd@x': [entry({ resource: 'r', connectionId: 'c4', smId: 'sm4', detachedUntilMs: 5 })],
      'e@x': [entry({ resource: 'r', connectionId: 'c8', edgeId: 'edge-2', smId: 'sm5' })],
    };
    const conns = [
      new Conn('c1', 'a@x/r'),
      new Conn('c2', 'b@x/r'),
      new Conn('c3', 'c@x/r'),
      new Conn('c4', 'd@x/r', { id: 'sm4', holding: false }),
      new Conn('c5', 'e@x/r', { id: 'sm5', holding: false }),
      new Conn('c6', 'e@x/r', { id: 'sm6', holding: true }), // resuming: left to its resumption
    ];
    const reattached: sessionv1.ResumeRequest[] = [];
    await auditSessions(conns, {
      edgeId: EDGE,
      log: createLogger({ service: 'test', level: 'error' }),
      sessions: async (bare) => registry[bare] ?? [],
      reattach: async (req) => (reattached.push(req), true),
    });
    expect(conns.map((c) => c.kicked)).toEqual([undefined, 'connection-timeout', 'conflict', undefined, 'conflict', undefined]);
    expect(conns[4].handedOver).toBe(true);
    expect(reattached).toEqual([{ smId: 'sm4', fullJid: 'd@x/r', edgeId: EDGE, connectionId: 'c4' }]);
  });
});
