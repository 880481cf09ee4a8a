// The pure parts of xmppctl: JIDs from arguments, and the stats report.
import type { sessionv1 } from '@cx/proto';

/** 'alice' → 'alice@<domain>'; a JID (or the domain itself) is kept as given. */
export function asJid(arg: string, domain: string): string {
  return arg.includes('@') || arg === domain ? arg : `${arg}@${domain}`;
}

/** ejabberdctl stats: registeredusers, onlineusers, and sessions per edge (sorted by edge id). */
export function stats(registered: number, online: sessionv1.GetSessionsResponse): string[] {
  const perEdge = new Map<string, number>();
  let sessions = 0;
  let detached = 0;
  for (const u of online.users) {
    for (const s of u.sessions) {
      sessions++;
      if (s.detachedUntilMs > 0) detached++;
      perEdge.set(s.edgeId, (perEdge.get(s.edgeId) ?? 0) + 1);
    }
  }
  const users = online.users.filter((u) => u.sessions.length > 0).length;
  return [
    `registered users\t${registered}`,
    `online users\t${users}`,
    `sessions\t${sessions}`,
    `sessions waiting to be resumed\t${detached}`,
    ...[...perEdge].sort(([a], [b]) => a.localeCompare(b)).map(([edge, n]) => `sessions on ${edge}\t${n}`),
  ];
}
