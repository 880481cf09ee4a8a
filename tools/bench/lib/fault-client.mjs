// The fault run's client (tools/bench/fault.mjs): a raw-XML XMPP client that
// keeps sending chat messages through connection losses and counts every
// message by id in a shared Ledger. With stream management (XEP-0198) it
// keeps its unacknowledged stanzas and resumes (on the other edge if its own
// is gone), resending what <resumed h/> says the server did not handle; a
// failed resumption logs in fresh and resends the unacknowledged messages.
// Without it, it logs in again, and pings the server (XEP-0199) so it knows
// which of its messages the server handled: the answer to a ping comes after
// everything sent before it on that stream.
import { performance } from 'node:perf_hooks';
import { Conn, login, openStream, scramSha1 } from './xmpp.mjs';

const NS_SM = 'urn:xmpp:sm:3';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ATTR = {};
/** Attribute of an element's start tag (the first tag only; values are not unescaped). */
export function attr(el, name) {
  const re = (ATTR[name] ??= new RegExp(`\\s${name}=(['"])(.*?)\\1`));
  const gt = el.indexOf('>');
  const m = re.exec(gt > 0 ? el.slice(0, gt) : el);
  return m ? m[2] : undefined;
}

/**
 * Every message the clients sent, by id: who sent it to whom in which phase,
 * whether the server acknowledged it (SM <a h/>) or confirmed it (a later
 * ping answered, without SM), whether it was sent on a connection that died
 * before any confirmation, and how often it arrived.
 */
export class Ledger {
  constructor() {
    this.recs = new Map();
    this.phase = null;
    this.stray = 0; // deliveries with an id this run never sent
    this.lastDeliveryAt = 0;
    this.arrivals = new Map(); // recipient bare JID → times of its deliveries (for the longest silence)
    this.events = [];
  }

  sent(id, from, to, kind) {
    const rec = { from, to, kind, phase: this.phase, t: performance.now(), acked: false, dying: false, delivered: 0, firstAt: null, bounced: 0, resent: 0 };
    this.recs.set(id, rec);
    return rec;
  }

  delivered(id) {
    const now = performance.now();
    this.lastDeliveryAt = now;
    const rec = this.recs.get(id);
    if (rec === undefined) {
      this.stray++;
      return;
    }
    if (rec.delivered++ === 0) rec.firstAt = now;
    let a = this.arrivals.get(rec.to);
    if (a === undefined) this.arrivals.set(rec.to, (a = []));
    a.push(now);
  }

  bounced(id) {
    const rec = this.recs.get(id);
    if (rec) rec.bounced++;
  }

  event(kind, user, detail) {
    this.events.push({ t: performance.now(), phase: this.phase, kind, user, detail });
  }
}

/**
 * One account's client. `partner` is the bare JID it sends to while the
 * orchestrator says so (`tick`), `offTarget` a second bare JID it sends to at
 * `offRate`; `ports` are the edges, `home` the index of the one it prefers.
 */
export class FaultClient {
  constructor({ user, password, domain, host, ports, home, sm, cache, ledger, rate = 0, offRate = 0, timeoutMs = 5000 }) {
    Object.assign(this, { user, password, domain, host, ports, home, sm, cache, ledger, rate, offRate, timeoutMs });
    this.partner = null;
    this.offTarget = null;
    this.conn = null;
    this.online = false;
    this.stopped = false;
    this.connecting = null;
    this.n = 0; // message counter: ids are `${user}-${n}`
    this.credit = 0;
    this.offCredit = 0;
    this.lastR = 0;
    // SM state (XEP-0198): ids/counts of the session, not of one connection
    this.smId = null;
    this.hIn = 0; // stanzas received
    this.ackedH = 0; // the server's last <a h/>
    this.queue = []; // unacknowledged stanzas sent since <enable/>: { id (null: not a message), xml }
    // without SM: the messages sent on the current connection and how many of them a ping answer confirmed
    this.connIds = [];
    this.confirmed = 0;
    this.pings = new Map();
    this.pingSeq = 0;
  }

  /** Connect (and keep reconnecting after every loss until stop()). */
  start() {
    return this.reconnect();
  }

  reconnect() {
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  async connectLoop() {
    for (let attempt = 0; !this.stopped; attempt++) {
      // the preferred edge first, then the other: a killed edge refuses at once
      const port = this.ports[(this.home + attempt) % this.ports.length];
      try {
        await this.connectOnce(port);
        // a connection that died again at once called reconnect() while this loop still ran: go on
        if (this.online) return;
      } catch (err) {
        this.ledger.event('connect-failed', this.user, String(err?.message ?? err).slice(0, 120));
        await sleep(Math.min(200 * (attempt + 1), 1000));
      }
    }
  }

  async connectOnce(port) {
    if (this.sm && this.smId !== null && (await this.tryResume(port))) return;
    await this.freshLogin(port);
  }

  /** XEP-0198 §5: resume the session; true when resumed, false when the server refused (<failed/>). */
  async tryResume(port) {
    const c = await Conn.open(port, this.host);
    const timer = setTimeout(() => c.destroy(new Error(`resume timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      await openStream(c, this.domain);
      await scramSha1(c, this.user, this.password, this.cache);
      await openStream(c, this.domain);
      c.send(`<resume xmlns='${NS_SM}' previd='${this.smId}' h='${this.hIn >>> 0}'/>`);
      const el = await c.until((e) => e.startsWith('<resumed') || e.startsWith('<failed'));
      clearTimeout(timer);
      if (el.startsWith('<failed')) {
        this.ledger.event('resume-failed', this.user, el.slice(0, 160));
        // XEP-0198 1.6: a <failed/> may still say what the server handled
        const h = attr(el, 'h');
        if (h !== undefined) this.ackTo(Number(h));
        c.close();
        this.smId = null;
        return false;
      }
      this.ackTo(Number(attr(el, 'h')));
      this.attach(c);
      // what the server did not handle is still queued: send it again, in order
      for (const q of this.queue) c.queue(q.xml);
      for (const q of this.queue) if (q.id !== null) this.ledger.recs.get(q.id).resent++;
      c.flush();
      this.ledger.event('resumed', this.user, port);
      return true;
    } catch (err) {
      clearTimeout(timer);
      c.destroy();
      throw err;
    }
  }

  async freshLogin(port) {
    const r = await login({
      port,
      host: this.host,
      domain: this.domain,
      user: this.user,
      password: this.password,
      cache: this.cache,
      presence: !this.sm,
      timeoutMs: this.timeoutMs,
    });
    const c = r.conn;
    this.bareJid ??= r.jid.split('/')[0];
    if (!this.sm) {
      this.attach(c);
      this.ledger.event('login', this.user, port);
      return;
    }
    const timer = setTimeout(() => c.destroy(new Error(`enable timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      c.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
      const el = await c.until((e) => e.startsWith('<enabled') || e.startsWith('<failed'));
      if (el.startsWith('<failed')) throw new Error(`enable refused: ${el.slice(0, 160)}`);
      clearTimeout(timer);
      // a new session: the messages the old one never acknowledged are sent again on it
      const carry = this.queue.filter((q) => q.id !== null);
      this.smId = attr(el, 'id') ?? null;
      this.hIn = 0;
      this.ackedH = 0;
      this.queue = [];
      this.attach(c);
      this.sendStanza('<presence/>', null);
      for (const q of carry) {
        this.sendStanza(q.xml, q.id);
        this.ledger.recs.get(q.id).resent++;
      }
      c.flush();
      this.ledger.event('login', this.user, port);
    } catch (err) {
      clearTimeout(timer);
      c.destroy();
      throw err;
    }
  }

  /** Make c the client's connection: its elements go to onElement, its loss to a reconnection. */
  attach(c) {
    this.conn = c;
    this.online = true;
    this.connIds = [];
    this.confirmed = 0;
    this.pings = new Map();
    c.onElement = (el) => this.onElement(c, el);
    c.onClose = () => this.onConnLost(c);
    // elements that arrived while login/resume awaited something else
    for (const el of c.items.splice(0)) this.onElement(c, el);
    if (c.closed) this.onConnLost(c);
  }

  onConnLost(c) {
    if (this.conn !== c) return;
    this.conn = null;
    this.online = false;
    if (!this.sm) {
      // messages after the last confirmation were on a connection that died: nobody can know whether the server read them
      for (let i = this.confirmed; i < this.connIds.length; i++) this.ledger.recs.get(this.connIds[i]).dying = true;
    }
    if (this.stopped) return;
    this.ledger.event('connection-lost', this.user, String(c.error?.message ?? 'closed').slice(0, 120));
    this.reconnect();
  }

  onElement(c, el) {
    if (el.startsWith('<r ') || el.startsWith('<r/') || el.startsWith('<r>')) {
      c.send(`<a xmlns='${NS_SM}' h='${this.hIn >>> 0}'/>`);
      return;
    }
    if (el.startsWith('<a ')) {
      this.ackTo(Number(attr(el, 'h')));
      return;
    }
    const kind = el.startsWith('<message') ? 'm' : el.startsWith('<iq') ? 'i' : el.startsWith('<presence') ? 'p' : null;
    if (kind === null) {
      if (el.startsWith('<stream:error') || el === '</stream:stream>') {
        this.ledger.event('stream-closed', this.user, el.slice(0, 160));
        c.destroy();
      }
      return;
    }
    if (this.sm) this.hIn++;
    if (kind === 'm') this.onMessage(el);
    else if (kind === 'i') this.onIq(c, el);
  }

  onMessage(el) {
    const id = attr(el, 'id');
    if (id === undefined) return;
    if (attr(el, 'type') === 'error') this.ledger.bounced(id);
    else this.ledger.delivered(id);
  }

  onIq(c, el) {
    const type = attr(el, 'type');
    const id = attr(el, 'id');
    if (type === 'get' || type === 'set') {
      // the server's own pings (idle check): answer, or it closes the stream
      const from = attr(el, 'from');
      this.sendStanza(`<iq type='result' id='${id}'${from ? ` to='${from}'` : ''}/>`, null);
      c.flush();
    } else if (type === 'result' && this.pings.has(id)) {
      const upTo = this.pings.get(id);
      for (let i = this.confirmed; i < upTo; i++) this.ledger.recs.get(this.connIds[i]).acked = true;
      this.confirmed = Math.max(this.confirmed, upTo);
      for (const [k, v] of this.pings) if (v <= this.confirmed) this.pings.delete(k);
    }
  }

  /** The server handled stanzas up to h (counts modulo 2^32): they leave the queue. */
  ackTo(h) {
    if (!Number.isFinite(h)) return;
    const d = (h - this.ackedH) >>> 0;
    if (d >= 2 ** 31) {
      // an h below one the server gave before: it takes back an acknowledgement (a server bug); keep the queue
      this.ledger.event('ack-anomaly', this.user, `h ${h} after ${this.ackedH}`);
      return;
    }
    if (d > this.queue.length) this.ledger.event('ack-anomaly', this.user, `h ${h} after ${this.ackedH} with ${this.queue.length} unacknowledged`);
    const n = Math.min(d, this.queue.length);
    for (let i = 0; i < n; i++) {
      const q = this.queue[i];
      if (q.id !== null) this.ledger.recs.get(q.id).acked = true;
    }
    this.queue.splice(0, n);
    this.ackedH = h >>> 0;
  }

  sendStanza(xml, id) {
    if (this.sm && this.smId !== null) this.queue.push({ id, xml });
    this.conn.queue(xml);
  }

  sendMessage(to, kind) {
    const id = `${this.user}-${++this.n}`;
    const xml = `<message type='chat' to='${to}' id='${id}'><body>${id}</body></message>`;
    this.ledger.sent(id, this.user, to, kind);
    this.sendStanza(xml, id);
    if (!this.sm) this.connIds.push(id);
  }

  /** Called every dt ms: send what the rates allow, ask for acks / confirmations, write it all at once. */
  tick(now, dt, load) {
    if (!this.online) {
      this.credit = 0;
      this.offCredit = 0;
      return;
    }
    if (load && this.partner) {
      this.credit += (this.rate * dt) / 1000;
      for (; this.credit >= 1; this.credit--) this.sendMessage(this.partner, 'pair');
    }
    if (load && this.offTarget) {
      this.offCredit += (this.offRate * dt) / 1000;
      for (; this.offCredit >= 1; this.offCredit--) this.sendMessage(this.offTarget, 'offline');
    }
    if (now - this.lastR >= 200) {
      if (this.sm && this.queue.length > 0) {
        this.conn.queue(`<r xmlns='${NS_SM}'/>`);
        this.lastR = now;
      } else if (!this.sm && this.confirmed < this.connIds.length) {
        const pid = `fp-${++this.pingSeq}`;
        this.pings.set(pid, this.connIds.length);
        this.conn.queue(`<iq type='get' id='${pid}' to='${this.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
        this.lastR = now;
      }
    }
    this.conn.flush();
  }

  /** Nothing left to confirm: every message acknowledged (SM) or confirmed by a ping (without). */
  get settled() {
    if (!this.online) return false;
    return this.sm ? !this.queue.some((q) => q.id !== null) : this.confirmed >= this.connIds.length;
  }

  /** Stop reconnecting and close the stream (after a last <a h/> with SM, so the server drops what it holds). */
  async stop() {
    this.stopped = true;
    await this.connecting?.catch(() => undefined);
    const c = this.conn;
    if (!c) return;
    if (this.sm) c.send(`<a xmlns='${NS_SM}' h='${this.hIn >>> 0}'/>`);
    c.close();
  }
}
