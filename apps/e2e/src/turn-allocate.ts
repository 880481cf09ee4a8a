// A minimal TURN client (RFC 8656 §7.2, long-term credentials RFC 8489
// §9.2): one Allocate over UDP, first without credentials (the server answers
// 401 with its realm and nonce), then with USERNAME, REALM, NONCE and
// MESSAGE-INTEGRITY. Enough to show coturn accepts (or refuses) credentials.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, REALM: 0x0014, NONCE: 0x0015, REQUESTED_TRANSPORT: 0x0019 } as const;

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function message(type: number, attrs: Buffer[], integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(MAGIC, 4);
  randomBytes(12).copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // The length counts MESSAGE-INTEGRITY (24 bytes), the HMAC covers what precedes it.
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', integrityKey)
    .update(Buffer.concat([header, body]))
    .digest();
  return Buffer.concat([header, body, attr(ATTR.MESSAGE_INTEGRITY, mac)]);
}

interface Parsed {
  type: number;
  attrs: Map<number, Buffer>;
}

function parse(b: Buffer): Parsed {
  const attrs = new Map<number, Buffer>();
  const len = b.readUInt16BE(2);
  for (let i = 20; i + 4 <= 20 + len; ) {
    const t = b.readUInt16BE(i);
    const l = b.readUInt16BE(i + 2);
    attrs.set(t, b.subarray(i + 4, i + 4 + l));
    i += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { type: b.readUInt16BE(0), attrs };
}

/** Allocate a UDP relay on host:port with these credentials: 'success', or the error code the server gave. */
export async function turnAllocate(host: string, port: number, username: string, password: string): Promise<'success' | number> {
  const sock = createSocket('udp4');
  const ask = (m: Buffer) =>
    new Promise<Parsed>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer from the TURN server')), 3000);
      sock.once('message', (d) => {
        clearTimeout(t);
        resolve(parse(d));
      });
      sock.send(m, port, host);
    });
  const transport = attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0]));
  try {
    const first = await ask(message(ALLOCATE, [transport]));
    const realm = first.attrs.get(ATTR.REALM);
    const nonce = first.attrs.get(ATTR.NONCE);
    if (!realm || !nonce) {
      const e = first.attrs.get(ATTR.ERROR_CODE);
      throw new Error(`the TURN server did not ask for credentials (message type 0x${first.type.toString(16)}${e ? `, error ${e[2] * 100 + e[3]}` : ''})`);
    }
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const second = await ask(message(ALLOCATE, [attr(ATTR.USERNAME, Buffer.from(username)), attr(ATTR.REALM, realm), attr(ATTR.NONCE, nonce), transport], key));
    if (second.type === 0x0103) return 'success';
    const e = second.attrs.get(ATTR.ERROR_CODE);
    return e ? e[2] * 100 + e[3] : -1;
  } finally {
    sock.close();
  }
}
