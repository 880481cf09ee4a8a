// One load-generator thread. The main thread (run.mjs) drives it with small
// RPCs; everything hot (logins, message ping-pong) runs here so several
// workers can spread the client side over cores (--workers N).
//
// What the generator costs, measured on the 2-core bench box (CPU of the
// whole bench process over the measured window, see README):
//  - login: ~0.4 ms CPU per full login (TCP connect/close syscalls dominate;
//    SCRAM is 3 HMAC + 1 SHA-1 once SaltedPassword is cached per RFC 5802
//    §5.1), i.e. ~25% of one core at 580 logins/s, event-loop utilisation ~0.3;
//  - messages: ~4 µs CPU per message sent+received (one template string, one
//    performance.now(), a few indexOf, a share of one coalesced socket.write
//    per loop turn), ~28% of a core at 70k msgs/s, ELU ~0.3.
// So one worker is not the bottleneck; a second worker did not raise the
// figures on 2 cores (it only takes CPU from the server). Each worker reports
// its ELU over the window: near 1.0 means the generator was the limit.
import { parentPort, workerData, threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { login, registerUsers, ScramCache } from './lib/xmpp.mjs';
import { mucHandlers } from './lib/muc.mjs';

const cache = new ScramCache();
const common = workerData ?? {};

class Samples {
  constructor() {
    this.a = new Float64Array(1 << 14);
    this.n = 0;
  }
  push(v) {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  take() {
    return this.a.slice(0, this.n);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function countError(errors, err) {
  const msg = String(err?.message ?? err).slice(0, 160);
  errors[msg] = (errors[msg] ?? 0) + 1;
}

/** Run fn over items with at most `conc` in flight. */
async function pool(items, conc, fn) {
  let i = 0;
  const lanes = Array.from({ length: Math.min(conc, items.length) }, async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k], k);
    }
  });
  await Promise.all(lanes);
}

const opts = (a) => ({
  host: a.host ?? common.host,
  domain: a.domain ?? common.domain,
  password: a.password ?? common.password,
  timeoutMs: a.timeoutMs ?? common.timeoutMs,
});

// ------------------------------------------------------------------ commands

const handlers = {
  async register({ port, users, inflight = 16, lanes = 2 }) {
    const o = opts({});
    const per = Math.ceil(users.length / lanes);
    const parts = [];
    for (let i = 0; i < users.length; i += per) parts.push(users.slice(i, i + per));
    const rs = await Promise.all(parts.map((u) => registerUsers({ port, host: o.host, domain: o.domain, users: u, password: o.password, inflight })));
    const out = { created: 0, existed: 0, failed: 0, errors: {} };
    for (const r of rs) {
      out.created += r.created;
      out.existed += r.existed;
      out.failed += r.failed;
      for (const [k, v] of Object.entries(r.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
    }
    return out;
  },

  /** Log each given user in once (untimed): checks the accounts and fills the SCRAM cache. */
  async warm({ logins, concurrency = 20, presence = false, transport = 'tcp' }) {
    const o = opts({});
    const res = { ok: 0, failed: 0, errors: {} };
    await pool(logins, concurrency, async ({ user, port }) => {
      try {
        const r = await login({ ...o, port, user, cache, presence, transport });
        r.conn.close();
        res.ok++;
      } catch (err) {
        res.failed++;
        countError(res.errors, err);
      }
    });
    return { ...res, cache: cache.export() };
  },

  scramImport({ entries }) {
    cache.import(entries);
    return cache.map.size;
  },

  /**
   * Login loop: each client logs in, closes, and starts again with its next
   * user. Counted: logins whose session result arrived inside the window.
   */
  async loginRun({ clients, totalClients, users, ports, warmupMs, durationMs, presence = false }) {
    const o = opts({});
    const now0 = performance.now();
    const mStart = now0 + warmupMs;
    const mEnd = mStart + durationMs;
    const lat = new Samples();
    const full = new Samples();
    const steps = [new Samples(), new Samples(), new Samples(), new Samples(), new Samples()];
    const res = { completed: 0, measured: 0, failures: 0, failuresInWindow: 0, errors: {} };
    let elu0;
    const t1 = setTimeout(() => (elu0 = performance.eventLoopUtilization()), warmupMs);
    let elu;
    const t2 = setTimeout(() => (elu = performance.eventLoopUtilization(elu0)), warmupMs + durationMs);
    const loop = async (ci) => {
      let k = ci;
      const port = ports[ci % ports.length];
      while (performance.now() < mEnd) {
        const user = users[k % users.length];
        k += totalClients;
        try {
          const r = await login({ ...o, port, user, cache, presence });
          r.conn.close();
          res.completed++;
          if (r.t1 >= mStart && r.t1 <= mEnd) {
            res.measured++;
            lat.push(r.latency);
            full.push(r.full);
            for (let i = 0; i < 5; i++) steps[i].push(r.steps[i]);
          }
        } catch (err) {
          res.failures++;
          const t = performance.now();
          if (t >= mStart && t <= mEnd) res.failuresInWindow++;
          countError(res.errors, err);
          await sleep(20);
        }
      }
    };
    await Promise.all(clients.map(loop));
    clearTimeout(t1);
    clearTimeout(t2);
    return { ...res, latencies: lat.take(), fullLatencies: full.take(), steps: steps.map((x) => x.take()), elu: elu?.utilization ?? null, threadId };
  },

  /** Log in both users of each pair, with presence; remember partners. */
  async pairsSetup({ pairs, concurrency = 20, sm = false }) {
    const o = opts({});
    state.peers = [];
    const res = { ok: 0, failed: 0, errors: {} };
    const flat = [];
    for (const p of pairs) {
      const a = { user: p.a.user, port: p.a.port };
      const b = { user: p.b.user, port: p.b.port };
      a.partner = b;
      b.partner = a;
      flat.push(a, b);
    }
    await pool(flat, concurrency, async (peer) => {
      try {
        const r = await login({ ...o, port: peer.port, user: peer.user, cache, presence: true });
        peer.conn = r.conn;
        peer.jid = r.jid;
        if (sm) {
          // XEP-0198: enable, then count every stanza received for the <a/> answers.
          r.conn.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
          await r.conn.until((el) => el.startsWith('<enabled'));
          peer.sm = true;
          peer.h = 0;
        }
        res.ok++;
      } catch (err) {
        res.failed++;
        countError(res.errors, err);
      }
    });
    // keep only complete pairs
    state.peers = flat.filter((p) => p.conn && p.partner.conn);
    for (const p of flat) if (p.conn && !p.partner.conn) p.conn.close();
    res.pairs = state.peers.length / 2;
    return res;
  },

  async pairsRun({ window = 10, warmupMs, durationMs, drainMs, bodyBytes = 0 }) {
    const peers = state.peers;
    const pad = bodyBytes > 0 ? ' ' + 'x'.repeat(bodyBytes) : '';
    const now0 = performance.now();
    const mStart = now0 + warmupMs;
    const mEnd = mStart + durationMs;
    const lat = new Samples();
    const st = { sent: 0, received: 0, measured: 0, outOfOrder: 0, bounced: 0, streamErrors: 0, closed: 0, sentInWindow: 0 };
    let sending = true;
    let inflight = 0;
    let drained = null;
    const dirty = [];
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      for (let i = 0; i < dirty.length; i++) {
        dirty[i].dirty = false;
        dirty[i].conn.flush();
      }
      dirty.length = 0;
    };
    const topUp = (p) => {
      if (!sending || p.conn.closed) return;
      while (p.inflight < window) {
        const seq = ++p.seq;
        p.inflight++;
        inflight++;
        st.sent++;
        p.conn.queue(`<message to='${p.partner.jid}' type='chat' id='m${seq}'><body>${seq} ${performance.now().toFixed(3)}${pad}</body></message>`);
      }
      if (!p.dirty) {
        p.dirty = true;
        dirty.push(p);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      }
    };
    const settle = (p) => {
      p.inflight--;
      inflight--;
      if (sending) topUp(p);
      else if (inflight === 0 && drained) drained();
    };
    for (const p of peers) {
      p.seq = 0;
      p.inflight = 0;
      p.lastSeq = 0;
      p.dirty = false;
      const partner = p.partner;
      p.conn.onClose = () => st.closed++;
      // Elements arriving on p's connection: its partner's messages, or a
      // bounce of p's own message (type error).
      p.conn.onElement = (el) => {
        if (p.sm) {
          if (el.startsWith('<r ') || el.startsWith('<r/')) {
            p.conn.send(`<a xmlns='urn:xmpp:sm:3' h='${p.h}'/>`);
            return;
          }
          if (el.startsWith('<message') || el.startsWith('<iq') || el.startsWith('<presence')) p.h++;
        }
        if (el.charCodeAt(1) !== 109 || !el.startsWith('<message')) {
          if (el.startsWith('<stream:error') || el === '</stream:stream>') st.streamErrors++;
          return;
        }
        const gt = el.indexOf('>');
        const tp = el.indexOf('type=', 8);
        if (tp > 0 && tp < gt && el.startsWith('error', tp + 6)) {
          st.bounced++;
          settle(p);
          return;
        }
        const b = el.indexOf('<body>', gt) + 6;
        const e = el.indexOf('</body>', b);
        const sp = el.indexOf(' ', b);
        let sp2 = el.indexOf(' ', sp + 1);
        if (sp2 < 0 || sp2 > e) sp2 = e;
        const seq = +el.slice(b, sp);
        const now = performance.now();
        const l = now - +el.slice(sp + 1, sp2);
        st.received++;
        if (now >= mStart && now <= mEnd) {
          st.measured++;
          lat.push(l);
        }
        if (seq <= p.lastSeq) st.outOfOrder++;
        else p.lastSeq = seq;
        settle(partner);
      };
    }
    for (const p of peers) topUp(p);
    let elu0;
    let elu;
    let sentAtStart = 0;
    const t1 = setTimeout(() => {
      elu0 = performance.eventLoopUtilization();
      sentAtStart = st.sent;
    }, warmupMs);
    await new Promise((r) => setTimeout(r, warmupMs + durationMs));
    clearTimeout(t1);
    elu = performance.eventLoopUtilization(elu0);
    st.sentInWindow = st.sent - sentAtStart;
    sending = false;
    if (inflight > 0) {
      await new Promise((resolve) => {
        const t = setTimeout(resolve, drainMs);
        drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const p of peers) p.conn.onElement = () => {};
    return { ...st, inflightAfterDrain: inflight, latencies: lat.take(), elu: elu.utilization, threadId };
  },

  pairsClose() {
    for (const p of state.peers ?? []) p.conn.close();
    state.peers = [];
    return true;
  },

  /**
   * mam: fill one archive with `total` messages from `senders` peers (all
   * online, the owner too, so every message is archived on both sides), then
   * time queries on it: the first page, the last page, the last page with one
   * peer (`with`), and the first page with that peer; `samples` of each.
   */
  async mamArchive({ owner, senders, port, ports, total, window = 50, samples = 30, page = 50, fillTimeoutMs = 600000 }) {
    const o = opts({});
    const own = await login({ ...o, port, user: owner, cache, presence: true });
    const peers = [];
    for (const [i, user] of senders.entries()) peers.push(await login({ ...o, port: ports[i % ports.length], user, cache, presence: true }));
    const ownerJid = `${owner}@${o.domain}`;
    let received = 0;
    let bounced = 0;
    let sent = 0;
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`archive fill: ${received} of ${total} after ${fillTimeoutMs} ms`)), fillTimeoutMs);
      const inflight = new Map(peers.map((p) => [p, 0]));
      const topUp = (p) => {
        while (inflight.get(p) < window && sent < total) {
          sent++;
          inflight.set(p, inflight.get(p) + 1);
          p.conn.queue(`<message to='${ownerJid}' type='chat' id='f${sent}'><body>archived message ${sent} with a little text in it</body></message>`);
        }
        p.conn.flush();
      };
      // Which sender a delivery came from: its from attribute names the sender's user.
      const byUser = new Map(peers.map((p, i) => [senders[i], p]));
      own.conn.onElement = (el) => {
        if (!el.startsWith('<message')) return;
        received++;
        const m = /from=["']([^@"']+)@/.exec(el);
        const p = m && byUser.get(m[1]);
        if (p) {
          inflight.set(p, inflight.get(p) - 1);
          topUp(p);
        }
        if (received >= total) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const p of peers) {
        p.conn.onElement = (el) => {
          if (el.startsWith('<message') && /type=["']error/.test(el)) {
            bounced++;
            received++;
            inflight.set(p, inflight.get(p) - 1);
            topUp(p);
          }
        };
        topUp(p);
      }
    });
    const fillSeconds = (performance.now() - t0) / 1000;
    own.conn.onElement = null;
    await sleep(2000); // the last appends land (the archive acknowledges after delivery)
    let n = 0;
    const query = async (form, set) => {
      const id = `mq${++n}`;
      const t = performance.now();
      own.conn.send(
        `<iq type='set' id='${id}'><query xmlns='urn:xmpp:mam:2' queryid='${id}'>${form}<set xmlns='http://jabber.org/protocol/rsm'>${set}</set></query></iq>`,
      );
      let results = 0;
      const idRe = new RegExp(`^<iq[^>]*id=["']${id}["']`);
      await own.conn.until((el) => {
        if (el.startsWith('<message')) results++;
        return idRe.test(el);
      });
      return { ms: performance.now() - t, results };
    };
    const withForm = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>${senders[senders.length - 1]}@${o.domain}</value></field></x>`;
    const kinds = {
      firstPage: ['', `<max>${page}</max>`],
      lastPage: ['', `<max>${page}</max><before/>`],
      withLastPage: [withForm, `<max>${page}</max><before/>`],
      withFirstPage: [withForm, `<max>${page}</max>`],
    };
    const out = {};
    for (const [k, [form, set]] of Object.entries(kinds)) {
      const xs = [];
      let results = 0;
      for (let i = 0; i < samples; i++) {
        const r = await query(form, set);
        xs.push(r.ms);
        results = r.results;
      }
      out[k] = { latencies: Float64Array.from(xs), results };
    }
    own.conn.close();
    for (const p of peers) p.conn.close();
    return { received, bounced, fillSeconds, queries: out };
  },

  /** Log in idle sessions (with initial presence) and keep them open. */
  async idleSetup({ sessions, concurrency = 50, transport = 'tcp' }) {
    const o = opts({});
    state.idle = [];
    const res = { ok: 0, failed: 0, errors: {} };
    await pool(sessions, concurrency, async ({ user, port }) => {
      try {
        const r = await login({ ...o, port, user, cache, presence: true, transport });
        state.idle.push(r.conn);
        res.ok++;
      } catch (err) {
        res.failed++;
        countError(res.errors, err);
      }
    });
    return res;
  },

  idleCheck() {
    return { open: state.idle.filter((c) => !c.closed).length };
  },

  /** Close every idle session; resolve when the server has closed its side too (or after waitMs). */
  async idleClose({ waitMs = 5000 } = {}) {
    const conns = state.idle ?? [];
    state.idle = [];
    const t0 = performance.now();
    const closed = conns.map((c) => (c.closed ? Promise.resolve() : new Promise((r) => c.socket.once('close', r))));
    for (const c of conns) c.close();
    let timer;
    await Promise.race([Promise.all(closed), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return { notClosed: conns.filter((c) => !c.closed).length, ms: performance.now() - t0 };
  },

  // ---------------------------------------------------------------- presence
  // All presence users live in one worker (run.mjs calls worker 0 only), so
  // a fan-out sample's sender and every contact share one clock and one
  // counter. Each connection gets one element handler (onPresenceEl) that
  // does the setup bookkeeping (pushes, subscribed, roster results) and the
  // counting of the measurements.

  /**
   * Log the users in (with presence and a roster get), then make every
   * listed contact pair `both` with pre-approval: everyone sends `subscribed`
   * to all its contacts (waits for the pushes showing approved), then
   * `subscribe` to all of them (each is approved at once), then checks with a
   * fresh roster get that each user has exactly its contacts, all `both`.
   */
  async presenceSetup({ users, concurrency = 20, phaseTimeoutMs = 120000, quietMs = 500 }) {
    const o = opts({});
    const P = newPresenceState(users);
    state.presence = P;
    const times = {};
    let t = performance.now();
    const lap = (k) => {
      const n = performance.now();
      times[k] = Math.round(n - t);
      t = n;
    };
    // 1. online: login, roster get (so pushes come), initial presence, wait for the roster and the echo
    const errors = {};
    let failed = 0;
    await pool(P.users, concurrency, async (u) => {
      try {
        const r = await login({ ...o, port: u.port, user: u.user, cache });
        u.conn = r.conn;
        u.jid = r.jid;
        attach(P, u);
        u.conn.send(`<iq type='get' id='rg1'><query xmlns='jabber:iq:roster'/></iq><presence/>`);
      } catch (err) {
        failed++;
        countError(errors, err);
      }
    });
    if (failed) throw new Error(`presence setup: ${failed} logins failed ${JSON.stringify(errors)}`);
    const missing = (pred) => () => `${P.users.filter((u) => !pred(u)).length} of ${P.users.length} users not done`;
    const online = (u) => u.roster && u.echoes > 0;
    await waitFor(() => P.users.every(online), phaseTimeoutMs, 'roster result and presence echo', missing(online));
    lap('online');
    // 2. pre-approve every contact (skipped for an item that already has from/approved)
    let preapprovals = 0;
    for (const u of P.users) {
      let out = '';
      for (const c of u.contacts) {
        const it = u.items.get(P.users[c].bare);
        if (it && (hasSub(it, 'from') || it.approved === 'true')) continue;
        out += `<presence to='${P.users[c].bare}' type='subscribed'/>`;
        preapprovals++;
      }
      if (out) u.conn.send(out);
    }
    const approved = (u) =>
      u.contacts.every((c) => {
        const it = u.items.get(P.users[c].bare);
        return it && (hasSub(it, 'from') || it.approved === 'true');
      });
    // A server that keeps pre-approvals without pushing them (ejabberd) leaves the wait after a few seconds:
    // the subscription requests of step 3 reach the contact then, and are approved as they arrive (onPresence).
    const pushed = await waitFor(() => P.users.every(approved), Math.min(phaseTimeoutMs, 5000), 'pre-approval pushes', missing(approved)).then(
      () => true,
      () => false,
    );
    lap('preapprove');
    // 3. subscribe to every contact: approved at once, both directions end as `both`
    let subscribes = 0;
    for (const u of P.users) {
      let out = '';
      for (const c of u.contacts) {
        const it = u.items.get(P.users[c].bare);
        if (it && hasSub(it, 'to')) continue;
        out += `<presence to='${P.users[c].bare}' type='subscribe'/>`;
        subscribes++;
      }
      if (out) u.conn.send(out);
    }
    const both = (u) => u.contacts.every((c) => u.items.get(P.users[c].bare)?.subscription === 'both');
    await waitFor(() => P.users.every(both), phaseTimeoutMs, 'subscription pushes (both)', missing(both));
    lap('subscribe');
    // 4. verify with a fresh roster get
    for (const u of P.users) {
      u.roster = null;
      u.conn.send(`<iq type='get' id='rg2'><query xmlns='jabber:iq:roster'/></iq>`);
    }
    await waitFor(
      () => P.users.every((u) => u.roster),
      phaseTimeoutMs,
      'roster results',
      missing((u) => u.roster),
    );
    const bad = [];
    for (const u of P.users) {
      const want = new Set(u.contacts.map((c) => P.users[c].bare));
      const items = u.roster;
      const ok = items.length === want.size && items.every((it) => want.has(it.jid) && it.subscription === 'both' && !it.ask);
      if (!ok && bad.length < 5)
        bad.push(`${u.user}: ${items.length} items, ${items.filter((i) => i.subscription === 'both').length} both, wanted ${want.size}`);
      if (!ok) u.rosterBad = true;
    }
    lap('verify');
    // 5. let the setup traffic (presence exchanged on approval, pushes) die down
    const quiet = await waitQuiet(P, quietMs, 15000);
    lap('quiet');
    return {
      online: P.users.length,
      preapprovals,
      preapprovalsPushed: pushed,
      subscribes,
      rosterOk: P.users.filter((u) => !u.rosterBad).length,
      rosterBad: bad,
      subscribedReceived: P.users.reduce((s, u) => s + u.subscribedFrom.size, 0),
      pushes: P.st.pushes,
      quiet,
      times,
      unexpected: P.unexpected,
      examples: P.examples,
      streamErrors: P.st.streamErrors,
      closed: P.st.closed,
    };
  },

  /**
   * Fan-out latency: one user at a time sends a presence update with a unique
   * status; the sample ends when all its contacts have it and its own echo is back.
   */
  async presenceFanout({ samples = 50, timeoutMs = 5000, gapMs = 10 }) {
    const P = state.presence;
    const N = P.users.length;
    const all = new Samples();
    const first = new Samples();
    const echo = new Samples();
    let timeouts = 0;
    let missing = 0;
    P.mode = 'fanout';
    for (let k = 0; k < samples; k++) {
      const u = P.users[Math.floor((k * N) / samples) % N];
      const f = (P.fan = { k, sender: u.i, got: new Set(), dup: 0, want: u.contacts.length, t0: 0, tFirst: 0, tAll: 0, tEcho: 0 });
      let done;
      const finished = new Promise((r) => (done = r));
      f.check = () => {
        if (f.tAll && f.tEcho) done();
      };
      const timer = setTimeout(done, timeoutMs);
      f.t0 = performance.now();
      u.conn.send(`<presence><status>f${k} ${u.user}</status></presence>`);
      await finished;
      clearTimeout(timer);
      if (f.tAll && f.tEcho) {
        all.push(f.tAll - f.t0);
        first.push(f.tFirst - f.t0);
        echo.push(f.tEcho - f.t0);
      } else {
        timeouts++;
        missing += f.want - f.got.size;
      }
      P.fan = null;
      await sleep(gapMs);
    }
    const quiet = await waitQuiet(P, 300, 5000);
    P.mode = 'idle';
    return { all: all.take(), first: first.take(), echo: echo.take(), timeouts, missing, duplicates: P.st.fanDup, quiet, unexpected: P.unexpected };
  },

  /**
   * Throughput: every user sends presence updates, the next one when its own
   * echo comes back, for warmupMs+durationMs; then waits up to drainMs until
   * every contact has every update. Counts deliveries to contacts (not echoes).
   */
  async presenceRun({ warmupMs, durationMs, drainMs }) {
    const P = state.presence;
    const st = P.st;
    const now0 = performance.now();
    P.mStart = now0 + warmupMs;
    P.mEnd = P.mStart + durationMs;
    P.lat = new Samples();
    P.echoLat = new Samples();
    Object.assign(st, { sent: 0, sentInWindow: 0, echoesInWindow: 0, delivered: 0, deliveredInWindow: 0, outOfOrder: 0, duplicates: 0, expected: 0 });
    P.sending = true;
    P.mode = 'run';
    for (const u of P.users) {
      u.seq = 0;
      u.waiting = false;
      u.lastFrom = new Map();
    }
    for (const u of P.users) presenceSend(P, u);
    let elu0;
    const t1 = setTimeout(() => (elu0 = performance.eventLoopUtilization()), warmupMs);
    await sleep(warmupMs + durationMs);
    clearTimeout(t1);
    const elu = performance.eventLoopUtilization(elu0);
    P.sending = false;
    const stopAt = performance.now();
    await waitFor(() => st.delivered >= st.expected && P.users.every((u) => !u.waiting || u.conn.closed), drainMs, null);
    const drainedMs = performance.now() - stopAt;
    P.mode = 'idle';
    return {
      sent: st.sent,
      sentInWindow: st.sentInWindow,
      echoesInWindow: st.echoesInWindow,
      expected: st.expected,
      delivered: st.delivered,
      deliveredInWindow: st.deliveredInWindow,
      outOfOrder: st.outOfOrder,
      duplicates: st.duplicates,
      echoMissing: P.users.filter((u) => u.waiting).length,
      drainedMs,
      latencies: P.lat.take(),
      echoLatencies: P.echoLat.take(),
      unexpected: P.unexpected,
      examples: P.examples,
      streamErrors: st.streamErrors,
      closed: st.closed,
      elu: elu.utilization,
      threadId,
    };
  },

  /**
   * The presence storm (issue 11): every user of the presence setup closes,
   * then all log in at once with initial presence; each must get the available
   * presence of every contact (RFC 6121 §4.2: broadcasts and probe answers
   * together). Returns per round the contact presences missing after
   * `timeoutMs` and the time until each user had all of them.
   */
  async storm({ rounds = 3, timeoutMs = 10000, gapMs = 500 }) {
    const P = state.presence;
    const out = [];
    for (let r = 0; r < rounds; r++) {
      for (const u of P.users) u.conn?.close();
      await sleep(gapMs);
      const t0 = performance.now();
      const done = [];
      const seen = P.users.map(() => new Set());
      const want = P.users.map((u) => new Set(u.contacts.map((c) => P.users[c].bare)));
      let errors = 0;
      await Promise.all(
        P.users.map(async (u, i) => {
          try {
            const { conn } = await login({ ...opts({}), port: u.port, user: u.user, cache });
            u.conn = conn;
            const take = (el) => {
              if (!el.startsWith('<presence')) return;
              const gt = el.indexOf('>');
              const type = attrIn(el, gt, ' type=');
              const from = attrIn(el, gt, ' from=');
              const bare = from && from.split('/')[0];
              if (type || !bare || !want[i].has(bare)) return;
              seen[i].add(bare);
              if (seen[i].size === want[i].size && done[i] === undefined) done[i] = performance.now() - t0;
            };
            conn.onElement = take;
            for (const el of conn.items.splice(0)) take(el);
            conn.send('<presence/>');
          } catch {
            errors++;
          }
        }),
      );
      const deadline = t0 + timeoutMs;
      while (performance.now() < deadline && P.users.some((_, i) => done[i] === undefined)) await sleep(20);
      const missing = P.users.reduce((n, _, i) => n + want[i].size - seen[i].size, 0);
      const times = P.users
        .map((_, i) => done[i])
        .filter((v) => v !== undefined)
        .sort((a, b) => a - b);
      out.push({
        expected: P.users.reduce((n, _, i) => n + want[i].size, 0),
        missing,
        usersIncomplete: P.users.length - times.length,
        loginErrors: errors,
        allArrivedMs: {
          p50: times.length ? Math.round(times[Math.floor(times.length / 2)]) : null,
          max: times.length === P.users.length ? Math.round(times[times.length - 1]) : null,
        },
      });
    }
    return out;
  },

  presenceClose() {
    for (const u of state.presence?.users ?? []) u.conn?.close();
    state.presence = null;
    return true;
  },
};

const state = { peers: [], idle: [], presence: null };

// The muc scenario's commands (lib/muc.mjs), with this thread's SCRAM cache and helpers.
Object.assign(handlers, mucHandlers({ login, cache, opts, Samples, pool, countError, sleep }));

// ------------------------------------------------------------------ presence helpers

/** users: [{ user, port, contacts: [index] }] → shared state of the presence scenario. */
function newPresenceState(users) {
  const P = {
    users: users.map((x, i) => ({
      i,
      user: x.user,
      port: x.port,
      bare: `${x.user}@${common.domain}`,
      contacts: x.contacts,
      contactSet: new Set(x.contacts),
      conn: null,
      jid: null,
      roster: null,
      items: new Map(),
      subscribedFrom: new Set(),
      echoes: 0,
      seq: 0,
      waiting: false,
      sentAt: 0,
      lastFrom: new Map(),
    })),
    byLocal: new Map(),
    mode: 'setup',
    fan: null,
    sending: false,
    mStart: 0,
    mEnd: 0,
    lat: null,
    echoLat: null,
    lastElementAt: performance.now(),
    unexpected: {},
    examples: {}, // the first stanza of each kind, as received (--json output)
    st: { pushes: 0, streamErrors: 0, closed: 0, fanDup: 0, sent: 0, delivered: 0, expected: 0 },
    dirty: [],
    flushScheduled: false,
  };
  for (const u of P.users) P.byLocal.set(u.user, u);
  return P;
}

const unexpected = (P, what) => (P.unexpected[what] = (P.unexpected[what] ?? 0) + 1);
const example = (P, kind, el) => (P.examples[kind] ??= el.slice(0, 400));
const hasSub = (it, dir) => it.subscription === 'both' || it.subscription === dir;

/** Value of attribute `name` (given as ' from=') inside the start tag that ends at gt. */
function attrIn(el, gt, name) {
  const i = el.indexOf(name);
  if (i < 0 || i > gt) return null;
  const s = i + name.length + 1;
  const e = el.indexOf(el[s - 1], s);
  return e < 0 ? null : el.slice(s, e);
}

/** Attributes of every <item .../> in a roster result or push. */
function rosterItems(el) {
  const items = [];
  const re = /<item\s([^>]*?)\/?>/g;
  let m;
  while ((m = re.exec(el))) {
    const a = {};
    for (const [, k, , v] of m[1].matchAll(/([\w:-]+)=(["'])(.*?)\2/g)) a[k] = v;
    items.push(a);
  }
  return items;
}

function attach(P, u) {
  const c = u.conn;
  c.onClose = () => P.st.closed++;
  c.onElement = (el) => onPresenceEl(P, u, el);
  for (const el of c.items.splice(0)) onPresenceEl(P, u, el);
}

function onPresenceEl(P, u, el) {
  const now = performance.now();
  P.lastElementAt = now;
  if (el.startsWith('<presence')) return onPresence(P, u, el, now);
  const gt = el.indexOf('>');
  if (el.startsWith('<iq')) {
    const type = attrIn(el, gt, ' type=');
    const id = attrIn(el, gt, ' id=');
    if (type === 'result' && id && id.startsWith('rg')) {
      u.roster = rosterItems(el);
      if (u.roster.length) example(P, 'roster result', el);
      for (const it of u.roster) u.items.set(it.jid, it);
      return;
    }
    if (type === 'set' && el.includes('jabber:iq:roster')) {
      P.st.pushes++;
      example(P, 'roster push', el);
      for (const it of rosterItems(el)) u.items.set(it.jid, it);
      if (P.mode === 'setup') u.conn.send(`<iq type='result' id='${id}'/>`);
      else unexpected(P, 'roster push after setup');
      return;
    }
    return unexpected(P, `iq type=${type}`);
  }
  if (el.startsWith('<stream:error') || el === '</stream:stream>') {
    P.st.streamErrors++;
    return unexpected(P, el.slice(0, 120));
  }
  unexpected(P, el.slice(0, 40));
}

function onPresence(P, u, el, now) {
  const gt = el.indexOf('>');
  const from = attrIn(el, gt, ' from=');
  const type = attrIn(el, gt, ' type=');
  if (from === null) return unexpected(P, 'presence without from');
  if (P.mode === 'setup') {
    if (type === 'subscribed') {
      u.subscribedFrom.add(from);
      example(P, 'subscribed', el);
    } else if (type === 'subscribe') {
      // the server did not take it as pre-approved: approve it now
      example(P, 'subscribe', el);
      u.conn.send(`<presence to='${from}' type='subscribed'/>`);
    } else if (type === null && from === u.jid) {
      u.echoes++;
      example(P, 'initial presence echo', el);
    } else example(P, `setup presence type=${type ?? 'available'}${from === u.jid ? ' (own)' : ''}`, el);
    return;
  }
  const sb = el.indexOf('<status>', gt);
  const status = sb < 0 ? '' : el.slice(sb + 8, el.indexOf('</status>', sb));
  if (from === u.jid) {
    // own echo
    u.echoes++;
    example(P, `${P.mode} echo`, el);
    if (type !== null) return unexpected(P, `own presence type=${type}`);
    if (P.mode === 'fanout') {
      const f = P.fan;
      if (f && f.sender === u.i && status.startsWith(`f${f.k} `)) {
        f.tEcho = now;
        f.check();
      }
      return;
    }
    if (P.mode === 'run' && u.waiting && status.startsWith(`p ${u.seq} `)) {
      u.waiting = false;
      if (now >= P.mStart && now <= P.mEnd) {
        P.st.echoesInWindow++;
        P.echoLat.push(now - u.sentAt);
      }
      presenceSend(P, u);
    }
    return;
  }
  const slash = from.indexOf('/');
  const at = from.indexOf('@');
  const sender = at > 0 ? P.byLocal.get(from.slice(0, at)) : undefined;
  if (type !== null) return unexpected(P, `presence type=${type}`);
  if (!sender || slash < 0) return unexpected(P, 'presence from a non-user or a bare JID');
  if (!u.contactSet.has(sender.i)) return unexpected(P, 'presence from a non-contact');
  example(P, `${P.mode} presence to a contact`, el);
  if (P.mode === 'fanout') {
    const f = P.fan;
    if (!f || f.sender !== sender.i || !status.startsWith(`f${f.k} `)) return unexpected(P, 'fan-out presence outside its sample');
    if (f.got.has(u.i)) {
      P.st.fanDup++;
      return;
    }
    f.got.add(u.i);
    if (f.got.size === 1) f.tFirst = now;
    if (f.got.size === f.want) {
      f.tAll = now;
      f.check();
    }
    return;
  }
  if (P.mode === 'run') {
    // status: "p <seq> <sent at>"
    const sp = status.indexOf(' ', 2);
    if (!status.startsWith('p ') || sp < 0) return unexpected(P, 'presence without a run status');
    const seq = +status.slice(2, sp);
    const last = u.lastFrom.get(sender.i) ?? 0;
    if (seq === last) {
      P.st.duplicates++;
      return;
    }
    if (seq < last) P.st.outOfOrder++;
    else u.lastFrom.set(sender.i, seq);
    P.st.delivered++;
    if (now >= P.mStart && now <= P.mEnd) {
      P.st.deliveredInWindow++;
      P.lat.push(now - +status.slice(sp + 1));
    }
    return;
  }
  unexpected(P, 'presence while idle');
}

/** Next presence update of u (if still sending), coalesced into one write per loop turn. */
function presenceSend(P, u) {
  if (!P.sending || u.conn.closed) return;
  const seq = ++u.seq;
  const t = performance.now();
  u.waiting = true;
  u.sentAt = t;
  P.st.sent++;
  P.st.expected += u.contacts.length;
  if (t >= P.mStart && t <= P.mEnd) P.st.sentInWindow++;
  u.conn.queue(`<presence><status>p ${seq} ${t.toFixed(3)}</status></presence>`);
  P.dirty.push(u);
  if (!P.flushScheduled) {
    P.flushScheduled = true;
    setImmediate(() => {
      P.flushScheduled = false;
      for (const x of P.dirty) x.conn.flush();
      P.dirty.length = 0;
    });
  }
}

/** Poll cond every 10 ms; throw after timeoutMs with `what` and detail() (or just return false when what is null). */
async function waitFor(cond, timeoutMs, what, detail) {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) {
      if (what === null) return false;
      throw new Error(`presence setup: timed out after ${timeoutMs} ms waiting for ${what}${detail ? ` (${detail()})` : ''}`);
    }
    await sleep(10);
  }
  return true;
}

/** Wait until no element arrived for quietMs (at most maxMs); returns the ms waited. */
async function waitQuiet(P, quietMs, maxMs) {
  const t0 = performance.now();
  while (performance.now() - P.lastElementAt < quietMs && performance.now() - t0 < maxMs) await sleep(20);
  return Math.round(performance.now() - t0);
}

parentPort.on('message', async ({ id, cmd, args }) => {
  try {
    const result = await handlers[cmd](args ?? {});
    parentPort.postMessage({ id, result });
  } catch (err) {
    parentPort.postMessage({ id, error: err?.stack ?? String(err) });
  }
});
