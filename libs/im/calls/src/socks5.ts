// The server side of the SOCKS5 handshake as XEP-0065 uses it (§6.3, RFC
// 1928): the greeting with no authentication, then CONNECT to a domain name
// that is the hex SHA-1 of sid + requester JID + target JID, port 0.
import { createHash } from 'node:crypto';

/** The SOCKS5 destination address both parties of a stream use (XEP-0065 §5.3.2). */
export function streamHash(sid: string, requester: string, target: string): string {
  return createHash('sha1').update(`${sid}${requester}${target}`).digest('hex');
}

export type Socks5Step =
  | { kind: 'more' }
  | { kind: 'reply'; bytes: Buffer; rest: Buffer }
  | { kind: 'connect'; host: string; rest: Buffer }
  | { kind: 'refuse'; bytes: Buffer; why: string };

/** RFC 1928 §6 replies. */
export const SOCKS5_REPLY = { succeeded: 0, failure: 1, notAllowed: 2, commandNotSupported: 7, addressNotSupported: 8 } as const;

/** A reply to CONNECT naming the domain `host` (port 0, as XEP-0065 §6.3.3 wants it echoed). */
export function connectReply(code: number, host = ''): Buffer {
  const name = Buffer.from(host, 'latin1');
  return Buffer.concat([Buffer.from([5, code, 0, 3, name.length]), name, Buffer.from([0, 0])]);
}

/** The greeting (`stage` 'greeting'): may go on when the client offers "no authentication". */
export function readGreeting(buf: Buffer): Socks5Step {
  if (buf.length < 2) return { kind: 'more' };
  if (buf[0] !== 5) return { kind: 'refuse', bytes: Buffer.alloc(0), why: `SOCKS version ${buf[0]}` };
  const n = buf[1];
  if (buf.length < 2 + n) return { kind: 'more' };
  const methods = buf.subarray(2, 2 + n);
  if (!methods.includes(0)) return { kind: 'refuse', bytes: Buffer.from([5, 0xff]), why: 'no acceptable method' };
  return { kind: 'reply', bytes: Buffer.from([5, 0]), rest: buf.subarray(2 + n) };
}

/** The request: CONNECT to a domain name (the stream hash). */
export function readConnect(buf: Buffer): Socks5Step {
  if (buf.length < 5) return { kind: 'more' };
  if (buf[0] !== 5) return { kind: 'refuse', bytes: Buffer.alloc(0), why: `SOCKS version ${buf[0]}` };
  if (buf[1] !== 1) return { kind: 'refuse', bytes: connectReply(SOCKS5_REPLY.commandNotSupported), why: `command ${buf[1]}` };
  if (buf[3] !== 3) return { kind: 'refuse', bytes: connectReply(SOCKS5_REPLY.addressNotSupported), why: `address type ${buf[3]}` };
  const len = buf[4];
  if (buf.length < 5 + len + 2) return { kind: 'more' };
  return { kind: 'connect', host: buf.subarray(5, 5 + len).toString('latin1'), rest: buf.subarray(5 + len + 2) };
}
