// After this edge's liveness entry lapsed (heartbeat.ts), the session service
// may have ended its sessions (reason edge-lost; contacts were told it went
// offline) or detached its stream-managed ones (XEP-0198), and a detached one
// may since have been resumed elsewhere or have timed out. No socket may stay
// open without its session: each established connection is checked against
// the registry and
// - still registered here: kept (a detached one is attached here again);
// - resumed on another connection (same SM id): handed over, closed with conflict;
// - replaced by a newer session for the same full JID: closed with conflict;
// - gone: closed with connection-timeout, so the client logs in again (its
//   presence was withdrawn from its contacts, so a silent re-registration
//   would leave it believing it is online when nobody sees it).
import { Counter } from 'prom-client';
import { call } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { sessionv1 } from '@cx/proto';
import type { StreamErrorCondition } from '@cx/xmpp-core';
import type { SessionLink } from './session-link';

const audited = new Counter({
  name: 'xmpp_edge_session_audit_total',
  help: 'Connections checked against the registry after a heartbeat lapse, by outcome',
  labelNames: ['outcome'],
});

export type AuditVerdict = 'ok' | 'reattach' | 'resumed-elsewhere' | 'replaced' | 'ended';

export interface AuditedConnection {
  readonly id: string;
  readonly jid?: string;
  readonly established: boolean;
  readonly gone: boolean;
  readonly sm?: { readonly id: string; readonly holding: boolean };
  kick(condition: StreamErrorCondition, text?: string): void;
  handOver(): void;
}

export interface AuditDeps {
  edgeId: string;
  /** The registry's sessions of a bare JID. */
  sessions(bare: string): Promise<sessionv1.SessionEntry[]>;
  /** Attach a detached stream-managed session to this connection again (the session service's resume). */
  reattach(req: sessionv1.ResumeRequest): Promise<boolean>;
  log: Logger;
}

/** What to do with one connection, given the registry's sessions of its bare JID. */
export function verdict(conn: Pick<AuditedConnection, 'id' | 'sm'>, resource: string, entries: sessionv1.SessionEntry[], edgeId: string): AuditVerdict {
  const s = entries.find((e) => e.resource === resource);
  if (!s) return 'ended';
  if (s.connectionId === conn.id && s.edgeId === edgeId) return s.detachedUntilMs > 0 ? 'reattach' : 'ok';
  if (conn.sm && s.smId === conn.sm.id) return 'resumed-elsewhere';
  return 'replaced';
}

const CONCURRENCY = 16;

/** Check every established connection; resolves when each is settled. */
export async function auditSessions(conns: Iterable<AuditedConnection>, d: AuditDeps): Promise<void> {
  const byUser = new Map<string, AuditedConnection[]>();
  for (const c of conns) {
    // A resumption in progress moves the registry entry itself; it is checked by its own outcome.
    if (!c.established || c.gone || !c.jid || c.sm?.holding) continue;
    const bare = c.jid.slice(0, c.jid.indexOf('/'));
    byUser.set(bare, [...(byUser.get(bare) ?? []), c]);
  }
  const users = [...byUser];
  const worker = async () => {
    for (let next = users.shift(); next; next = users.shift()) {
      const [bare, list] = next;
      const entries = await d.sessions(bare).catch((err: Error) => {
        d.log.warn({ err: err.message, jid: bare }, 'session audit: lookup failed');
        return undefined;
      });
      if (entries) for (const c of list) await settle(c, entries, d);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function settle(c: AuditedConnection, entries: sessionv1.SessionEntry[], d: AuditDeps): Promise<void> {
  if (c.gone) return; // ended while its user's sessions were being read
  const jid = c.jid as string;
  const v = verdict(c, jid.slice(jid.indexOf('/') + 1), entries, d.edgeId);
  audited.inc({ outcome: v });
  if (v === 'ok') return;
  d.log.info({ conn: c.id, jid, outcome: v }, 'session audit');
  switch (v) {
    case 'reattach': {
      const s = entries.find((e) => e.connectionId === c.id) as sessionv1.SessionEntry;
      const ok = await d.reattach({ smId: s.smId, fullJid: jid, edgeId: d.edgeId, connectionId: c.id }).catch(() => false);
      if (!ok && !c.gone) c.kick('connection-timeout', 'the session could not be kept while this server was unreachable');
      return;
    }
    case 'resumed-elsewhere':
      return c.handOver();
    case 'replaced':
      return c.kick('conflict', 'replaced by a new session with the same resource');
    case 'ended':
      return c.kick('connection-timeout', 'the session ended while this server was unreachable');
  }
}

/**
 * The heartbeat's onLapse: audit now, and once more a beat later (a sweep
 * that was already running when the entry came back may still end a session).
 */
export function lapseAudit(o: {
  edgeId: string;
  session: SessionLink;
  sessionClient: sessionv1.SessionServiceClient;
  connections: Map<string, AuditedConnection>;
  againAfterMs: number;
  log: Logger;
}): () => void {
  const deps: AuditDeps = {
    edgeId: o.edgeId,
    log: o.log,
    sessions: async (bare) => (await call(o.sessionClient.getSessions.bind(o.sessionClient), { bareJid: bare })).users.flatMap((u) => u.sessions),
    reattach: async (req) => (await o.session.resume(req)).result?.$case === 'previous',
  };
  const run = () => void auditSessions(o.connections.values(), deps).catch((err: Error) => o.log.warn({ err: err.message }, 'session audit failed'));
  return () => {
    run();
    setTimeout(run, o.againAfterMs).unref();
  };
}
