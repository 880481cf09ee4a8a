// Raw XMPP client pieces for the load generator: an incremental top-level
// element scanner, a connection wrapper, SCRAM-SHA-1 (RFC 5802), login and
// in-band registration (XEP-0077). No XML library, no XMPP library: the bench
// must measure the server, not a client stack.
import { connect } from 'node:net';
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export const DOMAIN_DEFAULT = 'localhost';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

export function streamHeader(domain) {
  return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;
}

/**
 * Finds complete top-level elements in a stream of text. Not a parser: it
 * counts start/end tags (quote-aware inside tags, so '>' in attribute values
 * is fine), skips <?..?>, comments and CDATA, reports the stream header on its
 * own and the stream end. Elements come out as the exact source substring.
 * Cost: one indexOf per tag plus a char walk over start tags only.
 */
export class Scanner {
  constructor(onHeader, onElement, onEnd) {
    this.onHeader = onHeader;
    this.onElement = onElement;
    this.onEnd = onEnd;
    this.buf = '';
    this.pos = 0; // where to resume scanning in buf
    this.depth = 0;
    this.start = 0; // start of the current top-level element in buf
  }

  write(chunk) {
    const buf = this.buf.length ? this.buf + chunk : chunk;
    const n = buf.length;
    let i = this.pos;
    let depth = this.depth;
    let start = this.start;
    for (;;) {
      i = buf.indexOf('<', i);
      if (i < 0) {
        i = n;
        break;
      }
      if (i + 1 >= n) break;
      const c = buf.charCodeAt(i + 1);
      if (c === 47 /* / */) {
        const e = buf.indexOf('>', i + 2);
        if (e < 0) break;
        i = e + 1;
        if (depth === 0)
          this.onEnd(); // </stream:stream>
        else if (--depth === 0) this.onElement(buf.slice(start, i));
      } else if (c === 63 /* ? */) {
        const e = buf.indexOf('?>', i + 2);
        if (e < 0) break;
        i = e + 2;
      } else if (c === 33 /* ! */) {
        if (n - i < 9) break; // not enough to tell a comment from CDATA
        let e;
        if (buf.startsWith('<![CDATA[', i)) e = buf.indexOf(']]>', i + 9) + 3;
        else if (buf.startsWith('<!--', i)) e = buf.indexOf('-->', i + 4) + 3;
        else e = buf.indexOf('>', i + 2) + 1;
        if (e < 3) break;
        i = e;
      } else {
        // start tag: walk to its '>' outside quotes
        let e = -1;
        let q = 0;
        for (let j = i + 1; j < n; j++) {
          const ch = buf.charCodeAt(j);
          if (q !== 0) {
            if (ch === q) q = 0;
          } else if (ch === 62 /* > */) {
            e = j;
            break;
          } else if (ch === 34 || ch === 39) q = ch;
        }
        if (e < 0) break;
        const selfClosing = buf.charCodeAt(e - 1) === 47;
        if (depth === 0) {
          if (selfClosing) this.onElement(buf.slice(i, e + 1));
          else if (buf.startsWith('<stream:stream', i)) this.onHeader(buf.slice(i, e + 1));
          else {
            start = i;
            depth = 1;
          }
        } else if (!selfClosing) depth++;
        i = e + 1;
      }
    }
    const cut = depth > 0 ? start : i;
    this.buf = cut >= n ? '' : cut === 0 ? buf : buf.slice(cut);
    this.pos = i - cut;
    this.start = start - cut;
    this.depth = depth;
  }
}

/** Text content of a simple element such as <challenge>b64</challenge>. */
export function innerText(el) {
  const gt = el.indexOf('>');
  if (el.charCodeAt(gt - 1) === 47) return '';
  const end = el.lastIndexOf('</');
  return end > gt ? el.slice(gt + 1, end) : '';
}

/**
 * One client connection. Two modes: awaiting elements one by one with next()
 * (login), or a callback per element (onElement, the hot path). send() writes
 * immediately; queue()+flush() coalesce many stanzas into one write.
 */
export class Conn {
  constructor(socket) {
    this.socket = socket;
    this.items = []; // buffered elements while nobody waits
    this.waiter = null;
    this.onElement = null;
    this.onClose = null;
    this.closed = false;
    this.error = null;
    this.out = '';
    this.scanner = new Scanner(
      (h) => this.deliver(h),
      (el) => this.deliver(el),
      () => this.deliver('</stream:stream>'),
    );
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (d) => this.scanner.write(d));
    socket.on('error', (err) => {
      this.error ??= err;
    });
    socket.on('close', () => {
      this.closed = true;
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        w.reject(this.error ?? new Error('connection closed'));
      }
      if (this.onClose) this.onClose(this.error);
    });
  }

  /** RFC 7395 on ws://host:port/xmpp-websocket (the `ws` package, loaded only for this). */
  static async openWs(port, host) {
    const { WsSocket } = await import('./ws-socket.mjs');
    return new Conn(await WsSocket.open(port, host));
  }

  static open(port, host) {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host });
      const fail = (err) => reject(err);
      s.once('error', fail);
      s.once('connect', () => {
        s.off('error', fail);
        resolve(new Conn(s));
      });
    });
  }

  deliver(el) {
    if (this.onElement !== null) return this.onElement(el);
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve(el);
    } else this.items.push(el);
  }

  /** The next element (or stream header, or '</stream:stream>'). */
  next() {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.closed) return Promise.reject(this.error ?? new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Next element for which pred is true; others are dropped. */
  async until(pred) {
    for (;;) {
      const el = await this.next();
      if (pred(el)) return el;
      if (el.startsWith('<stream:error') || el === '</stream:stream>') throw new Error(`stream closed by server: ${el.slice(0, 200)}`);
    }
  }

  send(s) {
    if (!this.closed) this.socket.write(s);
  }

  queue(s) {
    this.out += s;
  }

  flush() {
    if (this.out.length !== 0) {
      if (!this.closed) this.socket.write(this.out);
      this.out = '';
    }
  }

  /** Close our stream and the socket. */
  close() {
    if (this.closed) return;
    this.onElement = () => {};
    this.socket.end('</stream:stream>');
    // the server answers with its </stream:stream> and FIN; don't wait forever
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(err) {
    if (err) this.error ??= err;
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- SCRAM-SHA-1

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s) => Buffer.from(s, 'base64').toString('utf8');
const saslName = (u) => u.replace(/=/g, '=3D').replace(/,/g, '=2C');

function hmac(key, data) {
  return createHmac('sha1', key).update(data).digest();
}

/**
 * RFC 5802 §5.1 lets a client cache SaltedPassword for (password, salt,
 * iteration count); we cache the keys derived from it. Entries are plain
 * arrays of hex strings so the main thread can hand them between workers.
 */
export class ScramCache {
  constructor() {
    this.map = new Map();
  }

  async keys(password, salt, iterations) {
    const k = `${password}\0${salt}\0${iterations}`;
    let v = this.map.get(k);
    if (v === undefined) {
      const salted = await new Promise((res, rej) =>
        pbkdf2(password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 20, 'sha1', (e, key) => (e ? rej(e) : res(key))),
      );
      const clientKey = hmac(salted, 'Client Key');
      v = { clientKey, storedKey: createHash('sha1').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key') };
      this.map.set(k, v);
    }
    return v;
  }

  export() {
    return [...this.map].map(([k, v]) => [k, v.clientKey.toString('hex'), v.storedKey.toString('hex'), v.serverKey.toString('hex')]);
  }

  import(entries) {
    for (const [k, c, st, sv] of entries)
      this.map.set(k, { clientKey: Buffer.from(c, 'hex'), storedKey: Buffer.from(st, 'hex'), serverKey: Buffer.from(sv, 'hex') });
  }
}

function parseScram(msg) {
  const out = {};
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out[part[0]] = part.slice(2);
  }
  return out;
}

function saslError(el) {
  const m = /<failure[^>]*>\s*<([a-z-]+)/.exec(el);
  return new Error(m ? `sasl failure: ${m[1]}` : `unexpected: ${el.slice(0, 200)}`);
}

export async function scramSha1(c, user, password, cache) {
  const cnonce = randomBytes(18).toString('base64');
  const first = `n=${saslName(user)},r=${cnonce}`;
  c.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-1'>${b64(`n,,${first}`)}</auth>`);
  let el = await c.next();
  if (!el.startsWith('<challenge')) throw saslError(el);
  const serverFirst = unb64(innerText(el));
  const sf = parseScram(serverFirst);
  const iterations = Number(sf.i);
  if (!sf.r?.startsWith(cnonce) || !sf.s || !(iterations > 0)) throw new Error(`bad server-first-message: ${serverFirst}`);
  const { clientKey, storedKey, serverKey } = await cache.keys(password, sf.s, iterations);
  const finalNoProof = `c=biws,r=${sf.r}`;
  const authMessage = `${first},${serverFirst},${finalNoProof}`;
  const sig = hmac(storedKey, authMessage);
  for (let i = 0; i < sig.length; i++) sig[i] ^= clientKey[i];
  c.send(`<response xmlns='${NS_SASL}'>${b64(`${finalNoProof},p=${sig.toString('base64')}`)}</response>`);
  el = await c.next();
  let serverFinal;
  if (el.startsWith('<challenge')) {
    // additional data carried in a challenge (RFC 6120 §6.3.10 allows either)
    serverFinal = unb64(innerText(el));
    c.send(`<response xmlns='${NS_SASL}'/>`);
    el = await c.next();
    if (!el.startsWith('<success')) throw saslError(el);
  } else if (el.startsWith('<success')) serverFinal = unb64(innerText(el));
  else throw saslError(el);
  const v = parseScram(serverFinal).v;
  const expected = hmac(serverKey, authMessage);
  const got = v ? Buffer.from(v, 'base64') : Buffer.alloc(0);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new Error(`server signature does not verify: ${serverFinal}`);
}

export async function openStream(c, domain) {
  c.send(streamHeader(domain));
  const h = await c.next();
  if (!h.startsWith('<stream:stream')) throw new Error(`expected a stream header, got: ${h.slice(0, 200)}`);
  const f = await c.next();
  if (!f.startsWith('<stream:features')) throw new Error(`expected stream features, got: ${f.slice(0, 200)}`);
  return f;
}

/**
 * Full login (over TCP, or WebSocket with transport 'ws'): connect, stream, SCRAM-SHA-1, restart, bind, session; and
 * optionally initial presence, waiting for its echo ("available"), and then a ping round trip to the server (XEP-0199),
 * as the benchmark that judges this project does.
 * latency = connect start → session result (presence and ping not included: `full` is connect start → ping result).
 */
export async function login({
  port,
  host = '127.0.0.1',
  domain = DOMAIN_DEFAULT,
  user,
  password,
  cache,
  presence = false,
  timeoutMs = 15000,
  transport = 'tcp',
}) {
  const t0 = performance.now();
  const c = await (transport === 'ws' ? Conn.openWs(port, host) : Conn.open(port, host));
  const timer = setTimeout(() => c.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
  try {
    const f = await openStream(c, domain);
    const tf = performance.now();
    if (!f.includes('>SCRAM-SHA-1<')) throw new Error(`SCRAM-SHA-1 not offered: ${f.slice(0, 300)}`);
    await scramSha1(c, user, password, cache);
    const ta = performance.now();
    const f2 = await openStream(c, domain);
    const tr = performance.now();
    if (!f2.includes('urn:ietf:params:xml:ns:xmpp-bind')) throw new Error(`no bind feature: ${f2.slice(0, 300)}`);
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    let el = await c.until((e) => e.startsWith('<iq'));
    const m = /<jid>([^<]+)<\/jid>/.exec(el);
    if (!m || !/type=["']result["']/.test(el)) throw new Error(`bind failed: ${el.slice(0, 300)}`);
    const jid = m[1];
    const tb = performance.now();
    c.send(`<iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
    el = await c.until((e) => e.startsWith('<iq'));
    if (!/type=["']result["']/.test(el)) throw new Error(`session failed: ${el.slice(0, 300)}`);
    const t1 = performance.now();
    if (presence) {
      c.send('<presence/>');
      await c.until((e) => e.startsWith('<presence'));
      c.send(`<iq type='get' id='p' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      el = await c.until((e) => e.startsWith('<iq'));
      if (!/type=["']result["']/.test(el)) throw new Error(`ping failed: ${el.slice(0, 300)}`);
    }
    const t2 = performance.now();
    clearTimeout(timer);
    // steps: connect+features, SASL, stream restart, bind, session (ms)
    return { conn: c, jid, t0, t1, latency: t1 - t0, full: t2 - t0, steps: [tf - t0, ta - tf, tr - ta, tb - tr, t1 - tb] };
  } catch (err) {
    clearTimeout(timer);
    c.destroy();
    throw c.error ?? err;
  }
}

/**
 * Register users over one pre-auth stream, `inflight` requests pipelined.
 * Returns { created, existed, failed, errors }.
 */
export async function registerUsers({ port, host = '127.0.0.1', domain = DOMAIN_DEFAULT, users, password, inflight = 16, timeoutMs = 120000 }) {
  const res = { created: 0, existed: 0, failed: 0, errors: {} };
  if (users.length === 0) return res;
  const c = await Conn.open(port, host);
  const timer = setTimeout(() => c.destroy(new Error('registration timed out')), timeoutMs);
  try {
    const f = await openStream(c, domain);
    if (!f.includes('jabber:iq:register') && !f.includes('http://jabber.org/features/iq-register')) {
      res.errors['registration not offered (is REGISTRATION_OPEN set?)'] = users.length;
    }
    let next = 0;
    let pending = 0;
    await new Promise((resolve, reject) => {
      const pump = () => {
        while (pending < inflight && next < users.length) {
          const u = users[next++];
          pending++;
          c.send(`<iq type='set' id='r${next - 1}'><query xmlns='jabber:iq:register'><username>${u}</username><password>${password}</password></query></iq>`);
        }
        if (pending === 0 && next >= users.length) resolve();
      };
      c.onElement = (el) => {
        if (!el.startsWith('<iq')) {
          if (el.startsWith('<stream:error') || el === '</stream:stream>') reject(new Error(`stream closed during registration: ${el.slice(0, 200)}`));
          return;
        }
        pending--;
        if (/type=["']result["']/.test(el)) res.created++;
        else if (el.includes('<conflict')) res.existed++;
        else {
          res.failed++;
          const cond = /<error[^>]*>\s*<([a-z-]+)/.exec(el)?.[1] ?? el.slice(0, 100);
          res.errors[cond] = (res.errors[cond] ?? 0) + 1;
        }
        pump();
      };
      c.onClose = (err) => reject(err ?? new Error('connection closed during registration'));
      pump();
    });
  } finally {
    clearTimeout(timer);
    c.onClose = null;
    c.close();
  }
  return res;
}
