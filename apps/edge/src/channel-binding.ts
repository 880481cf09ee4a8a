// Channel binding at the edge, which owns the TLS socket: which types a connection
// supports and their data, passed to auth with each SASL start. The data is never logged.
// - tls-exporter (RFC 9266): TLS 1.3 only, where it is defined.
// - tls-unique (RFC 5929 §3): TLS 1.2 only. RFC 9266 §3 leaves it undefined for TLS 1.3
//   (as Prosody does; docs/architecture.md says why we do not follow ejabberd there).
// - tls-server-end-point (RFC 5929 §4): when the certificate's signature names one hash.
import type { TLSSocket } from 'node:tls';
import type { C2sContext } from '@cx/c2s';
import type { authv1 } from '@cx/proto';
import { TLS_EXPORTER, TLS_EXPORTER_LABEL, TLS_EXPORTER_LENGTH, TLS_SERVER_END_POINT, TLS_UNIQUE, tlsServerEndPoint } from '@cx/sasl';

let lastCert: { raw: Buffer; endPoint: Buffer | null } | undefined;

/** The tls-server-end-point data for the certificate this socket presented (one certificate is cached). */
function endPoint(socket: TLSSocket): Buffer | null {
  const cert = socket.getCertificate();
  const raw = cert && 'raw' in cert ? cert.raw : undefined;
  if (!raw) return null;
  if (lastCert === undefined || !lastCert.raw.equals(raw)) lastCert = { raw, endPoint: tlsServerEndPoint(raw) };
  return lastCert.endPoint;
}

/**
 * RFC 5929 §3.1: the first Finished message of the most recent handshake. In a full handshake
 * the client sends its Finished first (ours is the peer's); in an abbreviated one (a resumed
 * session) the server does. Renegotiation is disabled on our sockets, so the handshake that
 * made the connection stays the most recent one.
 */
export function tlsUnique(socket: TLSSocket): Buffer | undefined {
  return socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished();
}

function typesOf(socket: TLSSocket): string[] {
  const types = socket.getProtocol() === 'TLSv1.3' ? [TLS_EXPORTER] : tlsUnique(socket) ? [TLS_UNIQUE] : [];
  if (endPoint(socket)) types.push(TLS_SERVER_END_POINT);
  return types;
}

/** The channel bindings of an established TLS connection, strongest first. */
export function channelBindings(socket: TLSSocket): authv1.ChannelBinding[] {
  const out: authv1.ChannelBinding[] = [];
  if (socket.getProtocol() === 'TLSv1.3') {
    out.push({ type: TLS_EXPORTER, data: socket.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0)) });
  } else {
    const unique = tlsUnique(socket);
    if (unique) out.push({ type: TLS_UNIQUE, data: unique });
  }
  const ep = endPoint(socket);
  if (ep) out.push({ type: TLS_SERVER_END_POINT, data: ep });
  return out;
}

const derived = new WeakMap<C2sContext, Map<string, C2sContext>>();

/**
 * The listener's context with this connection's binding types; shared by every
 * connection with the same types, so the features stay serialized once.
 */
export function withChannelBindings(ctx: C2sContext, socket: TLSSocket): C2sContext {
  const types = typesOf(socket);
  if (types.length === 0) return ctx;
  let byTypes = derived.get(ctx);
  if (!byTypes) derived.set(ctx, (byTypes = new Map()));
  const key = types.join(' ');
  let c = byTypes.get(key);
  if (!c) byTypes.set(key, (c = Object.create(ctx, { channelBindings: { value: Object.freeze(types) } }) as C2sContext));
  return c;
}
