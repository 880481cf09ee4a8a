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

const opts = (a) => ({ host: a.host ?? common.host, domain: a.domain ?? common.domain, password: a.password ?? common.password, timeoutMs: a.timeoutMs ?? common.timeoutMs });

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
  async warm({ logins, concurrency = 20, presence = false }) {
    const o = opts({});
    const res = { ok: 0, failed: 0, errors: {} };
    await pool(logins, concurrency, async ({ user, port }) => {
      try {
        const r = await login({ ...o, port, user, cache, presence });
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
    return { ...res, latencies: lat.take(), steps: steps.map((x) => x.take()), elu: elu?.utilization ?? null, threadId };
  },

  /** Log in both users of each pair, with presence; remember partners. */
  async pairsSetup({ pairs, concurrency = 20 }) {
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

  /** Log in idle sessions (with initial presence) and keep them open. */
  async idleSetup({ sessions, concurrency = 50 }) {
    const o = opts({});
    state.idle = [];
    const res = { ok: 0, failed: 0, errors: {} };
    await pool(sessions, concurrency, async ({ user, port }) => {
      try {
        const r = await login({ ...o, port, user, cache, presence: true });
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
};

const state = { peers: [], idle: [] };

parentPort.on('message', async ({ id, cmd, args }) => {
  try {
    const result = await handlers[cmd](args ?? {});
    parentPort.postMessage({ id, result });
  } catch (err) {
    parentPort.postMessage({ id, error: err?.stack ?? String(err) });
  }
});
