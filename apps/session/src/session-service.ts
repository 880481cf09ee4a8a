// SessionService: resource binding (RFC 6120 §7) over the sessions bucket.
// A conflicting bind wins and the older session is kicked with <conflict/>
// (RFC 6120 §7.7.2.2, the policy ejabberd and Prosody default to).
import { randomBytes } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { kickOnEdge, sessionEvents, type Bus, type KV } from '@cx/bus';
import { StreamWork, unary as unaryCall, type OpenStreams } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { sessionv1 } from '@cx/proto';
import { encodeSessions, updateUser, type SessionDirectory, type SessionEntry, type UserSessions } from '@cx/session-directory';
import { jid as makeJid, parseJid, prepareResource } from '@cx/xmpp-core';
import type { SessionConfig } from './config';
import { detach, enableSm, resume } from './sm-ops';
import { adminKick } from './admin-kick';
import { applyPresence, countRefused, entryTooLarge } from './presence-update';
import { continueTrace, SpanKind, tracePublishOptions } from '@cx/tracing';

export interface SessionDeps {
  bus: Bus;
  kv: KV;
  directory: SessionDirectory;
  config: SessionConfig;
  log: Logger;
  streams: OpenStreams;
}

/** 16 random bytes: unique and unguessable (RFC 6120 §7.6.1, §13.10). */
function newResource(): string {
  return randomBytes(16).toString('base64url');
}

/** Most bytes of the user's remaining sessions carried in a SessionEnded event; past them the routers read the registry. */
export const MAX_REMAINING_BYTES = 16 * 1024;

/**
 * SessionEnded for session `s` of `full`. `remaining`: the user's sessions as
 * the same registry update left them, carried so that the routers need not
 * read the registry (their mirror may not have the update yet) to tell the
 * other resources and to know whether this was the last one.
 */
export function publishEnded(bus: Bus, full: string, s: SessionEntry, reason: string, remaining: UserSessions): void {
  const carried = encodeSessions(remaining).length <= MAX_REMAINING_BYTES ? remaining : undefined;
  sessionEvents.ended.publish(
    bus.nc,
    {
      fullJid: full,
      edgeId: s.edgeId,
      connectionId: s.connectionId,
      reason,
      atMs: Date.now(),
      available: s.available,
      directed: s.directed,
      smId: s.smId,
      remaining: carried,
    },
    tracePublishOptions(),
  );
}

export function kick(bus: Bus, s: SessionEntry, condition: string, text: string): void {
  kickOnEdge(bus.nc, s.edgeId, { connectionId: s.connectionId, condition, text });
}

async function bind(req: sessionv1.BindRequest, d: SessionDeps): Promise<sessionv1.BindResponse> {
  const resource = req.resource ? prepareResource(req.resource) : newResource();
  if (!resource) return { result: { $case: 'errorCondition', value: 'bad-request' } };
  let full: string;
  try {
    full = makeJid(req.username, req.domain, resource).toString();
  } catch {
    return { result: { $case: 'errorCondition', value: 'bad-request' } };
  }
  const bare = full.slice(0, full.length - resource.length - 1);
  const entry: SessionEntry = {
    resource,
    edgeId: req.edgeId,
    connectionId: req.connectionId,
    available: false,
    priority: 0,
    boundAtMs: Date.now(),
    interested: false,
    presence: Buffer.alloc(0),
    carbons: false,
    directed: [],
    smId: '',
    detachedUntilMs: 0,
  };
  const guess = d.directory.versioned(bare) ?? { value: { sessions: [] }, revision: 0 };
  const outcome = await updateUser<{ ok: boolean; old?: SessionEntry; tooLarge?: boolean; next?: UserSessions }>(
    d.kv,
    bare,
    (cur) => {
      const old = cur.sessions.find((s) => s.resource === resource);
      const others = cur.sessions.filter((s) => s.resource !== resource);
      if (!old && others.length >= d.config.MAX_RESOURCES_PER_USER) return { next: null, result: { ok: false, old } };
      const next = { sessions: [...others, entry] };
      if (entryTooLarge(cur, next, d.config.MAX_USER_ENTRY_BYTES)) return { next: null, result: { ok: false, old, tooLarge: true } };
      return { next, result: { ok: true, old, next } };
    },
    guess,
  );
  countRefused(outcome, 'bind');
  if (!outcome.ok) return { result: { $case: 'errorCondition', value: 'resource-constraint' } };
  if (outcome.old && outcome.old.connectionId !== req.connectionId) {
    kick(d.bus, outcome.old, 'conflict', 'replaced by a new session with the same resource');
    publishEnded(d.bus, full, outcome.old, 'conflict', outcome.next ?? { sessions: [] });
  }
  if (d.config.SESSION_BOUND_EVENTS)
    sessionEvents.bound.publish(d.bus.nc, { fullJid: full, edgeId: req.edgeId, connectionId: req.connectionId, atMs: Date.now() });
  return { result: { $case: 'fullJid', value: full } };
}

/** Remove one session if it is still the given connection's. */
export async function unbind(full: string, connectionId: string, reason: string, d: Pick<SessionDeps, 'bus' | 'kv' | 'directory'>): Promise<boolean> {
  const j = parseJid(full);
  const bare = j.bare.toString();
  const removed = await updateUser<{ s: SessionEntry; remaining: UserSessions } | undefined>(
    d.kv,
    bare,
    (cur) => {
      const s = cur.sessions.find((x) => x.resource === j.resource && x.connectionId === connectionId);
      if (!s) return { next: null, result: undefined };
      const remaining = { sessions: cur.sessions.filter((x) => x !== s) };
      return { next: remaining, result: { s, remaining } };
    },
    d.directory.versioned(bare),
  );
  if (removed) publishEnded(d.bus, full, removed.s, reason, removed.remaining);
  return removed !== undefined;
}

async function setPresence(req: sessionv1.SetPresenceRequest, d: SessionDeps): Promise<sessionv1.SetPresenceResponse> {
  const j = parseJid(req.fullJid);
  const bare = j.bare.toString();
  const limits = { maxCount: d.config.MAX_DIRECTED_PRESENCES, maxBytes: d.config.MAX_DIRECTED_PRESENCE_BYTES };
  let written = 0;
  const r = await updateUser<sessionv1.SetPresenceResponse>(
    d.kv,
    bare,
    (cur) => {
      const i = cur.sessions.findIndex((x) => x.resource === j.resource && x.connectionId === req.connectionId);
      const s = cur.sessions[i];
      if (!s) return { next: null, result: { updated: false, wasAvailable: false, directed: [], directedRefused: false, tooLarge: false, revision: 0 } };
      const { entry, unchanged, refused } = applyPresence(s, req, limits);
      // The recipients only matter to the caller when the session goes unavailable (it tells them).
      const result = {
        updated: true,
        wasAvailable: s.available,
        directed: req.available === false ? s.directed : [],
        directedRefused: refused,
        tooLarge: false,
        revision: 0,
      };
      if (unchanged) return { next: null, result };
      const sessions = [...cur.sessions];
      sessions[i] = entry;
      if (entryTooLarge(cur, { sessions }, d.config.MAX_USER_ENTRY_BYTES)) {
        return { next: null, result: { ...result, directed: [], directedRefused: req.directedAdd !== undefined, tooLarge: true } };
      }
      return { next: { sessions }, result };
    },
    d.directory.versioned(bare),
    (revision) => (written = revision),
  );
  countRefused(r, 'presence');
  return { ...r, revision: written };
}

const SET_PRESENCE_SPAN = { 'rpc.system': 'grpc', 'rpc.service': 'xmpp.session.v1.SessionService', 'rpc.method': 'SetPresence' };

/** SetPresence from the router's Sessions stream: the trace rides in the request, and its span is named as the unary call's. */
function streamedSetPresence(req: sessionv1.SetPresenceRequest, d: SessionDeps): Promise<sessionv1.SetPresenceResponse> {
  return continueTrace(req.traceparent ?? '', 'xmpp.session.v1.SessionService/SetPresence', SpanKind.SERVER, SET_PRESENCE_SPAN, () => setPresence(req, d));
}

async function getSessions(req: sessionv1.GetSessionsRequest, d: SessionDeps): Promise<sessionv1.GetSessionsResponse> {
  if (req.bareJid) {
    const u = await d.directory.lookup(parseJid(req.bareJid).bare.toString());
    return { users: u.sessions.length ? [{ bareJid: req.bareJid, sessions: u.sessions }] : [] };
  }
  return { users: [...d.directory.all()].map(([bareJid, u]) => ({ bareJid, sessions: u.sessions })) };
}

export function sessionService(d: SessionDeps): sessionv1.SessionServiceServer {
  const unary = <Req, Res>(fn: (req: Req) => Promise<Res>) => unaryCall(d.log, fn);
  return {
    sessions: (call) => {
      call.sendMetadata(new Metadata());
      const work = new StreamWork(d.streams, () => call.end());
      call.on('data', (req: sessionv1.SessionsRequest) => {
        const requestId = req.requestId;
        const op = req.op;
        const op$: Promise<sessionv1.SessionsResponse['result']> | undefined =
          op?.$case === 'bind'
            ? bind(op.value, d).then((value) => ({ $case: 'bind', value }))
            : op?.$case === 'unbind'
              ? unbind(op.value.fullJid, op.value.connectionId, op.value.reason || 'closed', d).then((removed) => ({ $case: 'unbind', value: { removed } }))
              : op?.$case === 'enableSm'
                ? enableSm(op.value, d).then((value) => ({ $case: 'enableSm', value }))
                : op?.$case === 'detach'
                  ? detach(op.value, d).then((value) => ({ $case: 'detach', value }))
                  : op?.$case === 'resume'
                    ? resume(op.value, d).then((value) => ({ $case: 'resume', value }))
                    : op?.$case === 'setPresence'
                      ? streamedSetPresence(op.value, d).then((value) => ({ $case: 'setPresence', value }))
                      : undefined;
        if (!op$) return;
        work.run(op$).then(
          (result) => call.write({ requestId, result }),
          (err: Error) => {
            d.log.error({ err }, 'session operation failed');
            call.write({ requestId, result: { $case: 'error', value: err.message } });
          },
        );
      });
      call.on('end', () => {
        work.closed();
        call.end();
      });
      call.on('error', () => work.closed());
    },
    bind: unary((req: sessionv1.BindRequest) => bind(req, d)),
    unbind: unary(async (req: sessionv1.UnbindRequest) => ({ removed: await unbind(req.fullJid, req.connectionId, req.reason || 'closed', d) })),
    setPresence: unary((req: sessionv1.SetPresenceRequest) => setPresence(req, d)),
    getSessions: unary((req: sessionv1.GetSessionsRequest) => getSessions(req, d)),
    kick: unary((req: sessionv1.KickRequest) => adminKick(req, d)),
  };
}
