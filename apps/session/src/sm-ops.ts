// XEP-0198 in the registry: a stream-managed session is marked with its sm id;
// when its connection goes it is detached (kept, still available) until a
// deadline, and a resumption moves it to another connection, on any edge.
import { kickOnEdge, type Bus, type KV } from '@cx/bus';
import type { sessionv1 } from '@cx/proto';
import { updateUser, type SessionDirectory, type SessionEntry } from '@cx/session-directory';
import { parseJid } from '@cx/xmpp-core';

type Deps = { bus: Bus; kv: KV; directory: SessionDirectory };

function change(d: Deps, full: string, match: (s: SessionEntry) => boolean, edit: (s: SessionEntry) => SessionEntry): Promise<SessionEntry | undefined> {
  const j = parseJid(full);
  const bare = j.bare.toString();
  return updateUser<SessionEntry | undefined>(
    d.kv,
    bare,
    (cur) => {
      const i = cur.sessions.findIndex((s) => s.resource === j.resource && match(s));
      if (i < 0) return { next: null, result: undefined };
      const sessions = [...cur.sessions];
      const before = sessions[i];
      sessions[i] = edit(before);
      return { next: { sessions }, result: before };
    },
    d.directory.versioned(bare),
  );
}

export async function enableSm(req: sessionv1.EnableSmRequest, d: Deps): Promise<sessionv1.EnableSmResponse> {
  const before = await change(
    d,
    req.fullJid,
    (s) => s.connectionId === req.connectionId,
    (s) => ({ ...s, smId: req.smId }),
  );
  return { ok: before !== undefined };
}

export async function detach(req: sessionv1.DetachRequest, d: Deps): Promise<sessionv1.DetachResponse> {
  const before = await change(
    d,
    req.fullJid,
    (s) => s.connectionId === req.connectionId && s.smId !== '',
    (s) => ({ ...s, detachedUntilMs: req.untilMs }),
  );
  return { ok: before !== undefined };
}

/** Move the session to the new connection; the old connection (if still open) is closed without ending it. */
export async function resume(req: sessionv1.ResumeRequest, d: Deps): Promise<sessionv1.ResumeResponse> {
  let before: SessionEntry | undefined;
  try {
    before = await change(
      d,
      req.fullJid,
      (s) => s.smId === req.smId,
      (s) => ({ ...s, edgeId: req.edgeId, connectionId: req.connectionId, detachedUntilMs: 0 }),
    );
  } catch (err) {
    if (err instanceof TypeError || (err as Error).message?.includes('JID')) return { result: { $case: 'errorCondition', value: 'item-not-found' } };
    throw err;
  }
  if (!before) return { result: { $case: 'errorCondition', value: 'item-not-found' } };
  if (before.connectionId !== req.connectionId || before.edgeId !== req.edgeId) {
    kickOnEdge(d.bus.nc, before.edgeId, {
      connectionId: before.connectionId,
      condition: 'conflict',
      text: 'the session was resumed on another connection',
      resumed: true,
    });
  }
  return { result: { $case: 'previous', value: before } };
}
