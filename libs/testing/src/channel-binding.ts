// The client side of SCRAM-PLUS over a RawClient: the channel binding data computed from
// the client's end of the TLS connection (RFC 9266 tls-exporter, RFC 5929 tls-unique and tls-server-end-point),
// and a SCRAM exchange bound to it.
import type { TLSSocket } from 'node:tls';
import {
  ScramClient,
  TLS_EXPORTER,
  TLS_EXPORTER_LABEL,
  TLS_EXPORTER_LENGTH,
  TLS_UNIQUE,
  tlsServerEndPoint,
  type ScramClientOptions,
  type ScramHash,
} from '@cx/sasl';
import type { Element } from '@cx/xmpp-core';
import type { RawClient } from './raw-client';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** This client's binding data of `type` on its TLS connection. */
export function clientChannelBinding(c: RawClient, type: string): { type: string; data: Buffer } {
  const tls = c.socket as TLSSocket;
  if (type === TLS_EXPORTER) return { type, data: tls.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0)) };
  if (type === TLS_UNIQUE) {
    // RFC 5929 §3.1: the first Finished of the handshake: ours in a full one, the server's in a resumed one.
    const data = tls.isSessionReused() ? tls.getPeerFinished() : tls.getFinished();
    if (!data) throw new Error('no Finished message on this connection');
    return { type, data };
  }
  const data = tlsServerEndPoint(tls.getPeerCertificate().raw);
  if (data === null) throw new Error('tls-server-end-point is undefined for this certificate');
  return { type, data };
}

/** A SCRAM exchange (mechanism as named, e.g. SCRAM-SHA-256-PLUS) with the given client options; returns the final element. */
export async function authenticateScram(c: RawClient, mechanism: string, username: string, password: string, opts: ScramClientOptions = {}): Promise<Element> {
  const hash: ScramHash = mechanism.startsWith('SCRAM-SHA-1') ? 'SHA-1' : 'SHA-256';
  const scram = new ScramClient(hash, username, password, opts);
  c.send(`<auth xmlns='${SASL}' mechanism='${mechanism}'>${scram.clientFirst().toString('base64')}</auth>`);
  const ch = await c.element();
  if (ch.name !== 'challenge') return ch;
  c.send(`<response xmlns='${SASL}'>${scram.clientFinal(Buffer.from(ch.getText(), 'base64')).toString('base64')}</response>`);
  const last = await c.element();
  if (last.name === 'success' && !scram.verifyServerFinal(Buffer.from(last.getText(), 'base64'))) throw new Error('the server signature does not verify');
  return last;
}
