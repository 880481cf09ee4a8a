// Who is online, in Prometheus: counted from this replica's mirror of the
// sessions bucket when scraped (every session replica reports the same).
import { Gauge } from 'prom-client';
import type { SessionDirectory } from '@cx/session-directory';

let directory: SessionDirectory | undefined;

function online(): { users: number; sessions: number; detached: number } {
  const n = { users: 0, sessions: 0, detached: 0 };
  for (const [, u] of directory?.all() ?? []) {
    if (u.sessions.length) n.users++;
    n.sessions += u.sessions.length;
    n.detached += u.sessions.filter((s) => s.detachedUntilMs > 0).length;
  }
  return n;
}

new Gauge({
  name: 'xmpp_session_online',
  help: 'Online accounts (users), bound resources (sessions) and stream-managed sessions waiting to be resumed (detached), from the sessions registry',
  labelNames: ['what'],
  collect() {
    const n = online();
    for (const what of ['users', 'sessions', 'detached'] as const) this.set({ what }, n[what]);
  },
});

export function measureSessions(d: SessionDirectory): void {
  directory = d;
}
