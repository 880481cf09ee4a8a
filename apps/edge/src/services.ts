// What a connection needs from the rest of the system, over gRPC: SASL and
// accounts (auth), binding (session), routing (router).
import { call } from '@cx/grpc';
import type { StanzaErrorType } from '@cx/xmpp-core';
import type { AccountOp } from '@cx/c2s';
import type { Logger } from '@cx/log';
import type { authv1, routerv1 } from '@cx/proto';
import type { Connection } from './connection';
import type { RouterLink } from './router-link';
import type { SaslLink } from './sasl-link';
import type { SessionLink } from './session-link';
import type { StreamManager } from './sm/stream-manager';
import { inNewTrace, SpanKind, type Span } from '@cx/tracing';

export interface AccountOutcome {
  ok: boolean;
  condition?: string;
  errorType?: StanzaErrorType;
  text?: string;
  open?: boolean;
  instructions?: string;
}

export interface BindOutcome {
  jid?: string;
  condition?: string;
  errorType?: StanzaErrorType;
  text?: string;
}

/**
 * The bind error when the session service cannot answer: internal-server-error
 * (RFC 6120 §8.3.3.8, "an internal error that prevents it from processing the
 * stanza") of type wait (§8.3.2: temporary, retry later), as during a NATS
 * outage (outage.ts). Not resource-constraint: §7.6.2.1 keeps that for a limit
 * on the account's resources, which a client would not retry.
 */
export const BIND_UNAVAILABLE: BindOutcome = {
  condition: 'internal-server-error',
  errorType: 'wait',
  text: 'the session service is unavailable; try again later',
};

export interface EdgeServices {
  sasl: SaslLink;
  /** Never rejects: a session service that cannot answer gives an error of type wait. */
  bind(username: string, resource: string, connectionId: string): Promise<BindOutcome>;
  /** `connectionId`: the connection asking (a removal leaves it for the edge to close after the result). */
  account(op: AccountOp, username?: string, password?: string, connectionId?: string): Promise<AccountOutcome>;
  /** span: the stanza's trace (ended once the stanza is on its way to the router). */
  route(connectionId: string, stanza: routerv1.Stanza, span?: Span): void;
  /** `fn` runs once a router confirmed every stanza this connection routed so far. */
  whenRouted(connectionId: string, fn: () => void): void;
  ended(conn: Connection, jid: string | undefined): void;
  /** End a session whose connection is already gone (after its SM state was saved). */
  unbind(connectionId: string, jid: string): void;
  /** A connection took over a session by resumption (XEP-0198). */
  resumed(conn: Connection): void;
  /** Stored offline messages that reached the client: a router deletes them (offline-reports.ts). */
  offlineHandled?(bareJid: string, seqs: readonly number[]): void;
  /** Stream management (XEP-0198), when offered. */
  sm?: StreamManager;
  /** NATS is reachable (false: stanzas get an error of type wait, outage.ts). */
  busUp?(): boolean;
  /** Undefined while NATS is reachable, else resolves a while after it is back (connectivityGate). */
  busBack?(): Promise<void> | undefined;
}

export interface ServiceDeps {
  domain: string;
  edgeId: string;
  auth: authv1.AuthServiceClient;
  session: SessionLink;
  sasl: SaslLink;
  router: RouterLink;
  sm?: StreamManager;
  /** Stored offline messages that reached the client (offline-reports.ts). */
  offlineHandled?(bareJid: string, seqs: readonly number[]): void;
  log: Logger;
  /** Deadline of the account calls to auth (registration form, register, password change, removal). */
  authTimeoutMs?: number;
  onEnded(conn: Connection): void;
  busUp?(): boolean;
  busBack?(): Promise<void> | undefined;
}

export function edgeServices(d: ServiceDeps): EdgeServices {
  const { auth, session, domain } = d;
  let slot = 0;
  const slots = new Map<string, number>();
  const accountResult = (r: authv1.AccountResult): AccountOutcome => ({ ok: r.ok, condition: r.condition || undefined, text: r.text || undefined });
  const failed = (err: Error): AccountOutcome => {
    d.log.warn({ err: err.message }, 'account call failed');
    // Temporary (RFC 6120 §8.3.2): the auth service did not answer in time or is unreachable.
    return { ok: false, condition: 'internal-server-error', errorType: 'wait', text: 'the account service is unavailable; try again later' };
  };
  return {
    sasl: d.sasl,
    sm: d.sm,
    offlineHandled: d.offlineHandled,
    busUp: d.busUp,
    busBack: d.busBack,
    async bind(username, resource, connectionId) {
      const r = await session.bind({ username, domain, resource, edgeId: d.edgeId, connectionId }).catch((err: Error) => {
        d.log.warn({ err: err.message, connectionId }, 'bind failed');
        return undefined;
      });
      if (!r) return BIND_UNAVAILABLE;
      const res = r.result;
      if (res?.$case === 'fullJid') {
        slots.set(connectionId, slot++);
        return { jid: res.value };
      }
      return { condition: res?.value ?? 'internal-server-error' };
    },
    account(op, username, password, connectionId) {
      // A trace of its own (when sampled): the call's metadata carries it to auth.
      const p = inNewTrace(`edge account ${op}`, SpanKind.CLIENT, undefined, () => {
        switch (op) {
          case 'form':
            return call(auth.getRegistrationInfo.bind(auth), { domain }, d.authTimeoutMs, auth).then((r) => ({
              ok: true,
              open: r.open,
              instructions: r.instructions,
            }));
          case 'register':
            return call(auth.register.bind(auth), { domain, username: username ?? '', password: password ?? '', admin: false }, d.authTimeoutMs, auth).then(
              accountResult,
            );
          case 'passwd':
            return call(auth.changePassword.bind(auth), { domain, username: username ?? '', password: password ?? '' }, d.authTimeoutMs, auth).then(
              accountResult,
            );
          case 'remove':
            return call(auth.unregister.bind(auth), { domain, username: username ?? '', connectionId: connectionId ?? '' }, d.authTimeoutMs, auth).then(
              accountResult,
            );
        }
      });
      return p.catch(failed);
    },
    route(connectionId, stanza, span) {
      d.router.send(slots.get(connectionId) ?? 0, stanza, span);
    },
    whenRouted(connectionId, fn) {
      d.router.whenRouted(slots.get(connectionId) ?? 0, fn);
    },
    ended(conn, jid) {
      slots.delete(conn.id);
      d.onEnded(conn);
      if (jid) this.unbind(conn.id, jid);
    },
    unbind(connectionId, jid) {
      session.unbind({ fullJid: jid, connectionId, reason: 'closed' }).catch((err: Error) => d.log.warn({ err: err.message, jid }, 'unbind failed'));
    },
    resumed(conn) {
      slots.set(conn.id, slot++);
    },
  };
}
