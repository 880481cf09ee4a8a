// The admin calls (xmppctl: register bypassing closed registration, list users,
// kick, list sessions, send as any JID) are served on a port of their own, so
// NetworkPolicies can keep the edge away from them, and, with ADMIN_TOKEN set,
// only to calls carrying the token. On the data port they are refused.
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  InterceptingCall,
  Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type Interceptor,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { countAdminRefused } from './metrics';

/** Metadata key carrying the token: `authorization: Bearer <ADMIN_TOKEN>`. */
export const ADMIN_TOKEN_KEY = 'authorization';

/** An admin method: refused on the data port (when `when` is given, only for requests it matches). */
export interface AdminMethod {
  path: string;
  when?: (request: unknown) => boolean;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison (of digests, so lengths do not leak either). */
export function tokenMatches(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

function bearer(md: Metadata): string {
  const v = md.get(ADMIN_TOKEN_KEY)[0];
  const s = typeof v === 'string' ? v : '';
  return s.startsWith('Bearer ') ? s.slice(7) : '';
}

const refusal = (code: status, details: string) => ({ code, details, metadata: new Metadata() });

/** Data port: the admin methods get PERMISSION_DENIED (the method as a whole, or the requests `when` picks). */
export function refuseAdminMethods(methods: AdminMethod[]): ServerInterceptor {
  const byPath = new Map(methods.map((m) => [m.path, m]));
  const details = 'an admin method: call it on the admin port (xmppctl)';
  return (descriptor, call) => {
    const m = byPath.get(descriptor.path);
    if (!m) return new ServerInterceptingCall(call);
    const refuse = () => {
      countAdminRefused(descriptor.path, 'data-port');
      call.sendStatus(refusal(status.PERMISSION_DENIED, details));
    };
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((md, next) => (m.when ? next(md) : refuse()))
      .withOnReceiveMessage((msg, next) => (m.when?.(msg) ? refuse() : next(msg)))
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** Admin port with a token: every call but health checks must carry it. */
export function requireToken(token: string): ServerInterceptor {
  return (descriptor, call) => {
    if (descriptor.path.startsWith('/grpc.health.v1.')) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((md, next) => {
        if (tokenMatches(bearer(md), token)) return next(md);
        countAdminRefused(descriptor.path, 'token');
        call.sendStatus(refusal(status.UNAUTHENTICATED, 'admin token missing or wrong (ADMIN_TOKEN)'));
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** Client side (xmppctl): send the token with every call. */
export function withAdminToken(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (md, listener, next) => {
        md.set(ADMIN_TOKEN_KEY, `Bearer ${token}`);
        next(md, listener);
      },
    });
}

/** The interceptors of an admin port: the token check when one is set. */
export function adminInterceptors(token: string): ServerInterceptor[] {
  return token ? [requireToken(token)] : [];
}
