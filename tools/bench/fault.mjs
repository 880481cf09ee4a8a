#!/usr/bin/env node
// Fault run: message load with stream management on and off while each
// server process in turn is SIGKILLed and restarted; every message counted by
// id. See tools/bench/README.md ("Fault run").
//
//   node tools/bench/fault.mjs [--pairs 20] [--rate 25] [--modes sm,plain]
//        [--faults none,nats,router,session,auth,edge] [--json] ...   (--help)
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ScramCache, registerUsers } from './lib/xmpp.mjs';
import { FaultClient, Ledger } from './lib/fault-client.mjs';

const HELP = `usage: node tools/bench/fault.mjs [options]

Starts its own stack (nats-server, auth, session, router, 2 edges from dist/apps)
and, for each mode (--modes), brings --pairs pairs online, each pair split across
the two edges, every client sending chat messages to its partner's bare JID at
--rate msg/s. Then, fault after fault (--faults): --before s of load, SIGKILL
of the process, --down s later a restart (same ports, env, data), --after s more
load, a drain; a few clients also send to an account that is offline during
the fault, which logs in after the drain. Prints per mode and fault: sent,
acked, delivered, lost, duplicated, unconfirmed, bounced, seconds until
delivery resumed.

modes:
  sm        XEP-0198 with resumption: clients keep what is unacknowledged, resume
            (on the other edge if theirs is gone) and resend what <resumed h/> says
            was not handled; a failed resumption logs in fresh and resends
  plain     no stream management: clients log in again after a loss; a ping
            (XEP-0199) every 200 ms confirms what the server handled so far

faults:     none (baseline), nats, router, session, auth, edge (edge-1 of 2)

options:
  --modes M,...      default sm,plain
  --faults F,...     default none,nats,router,session,auth,edge
  --pairs P          message pairs (default 20)
  --rate R           messages/s per client to its partner (default 25)
  --offline-senders K  clients that also send to the phase's offline account (default 2)
  --offline-rate R   their messages/s to it (default 3; keep the total under the
                     server's OFFLINE_LIMIT, 100 by default, or the rest bounce)
  --before S         load before the kill (default 3)
  --down S           seconds between kill and restart (default 2.5)
  --after S          load after the restart (default 5)
  --quiet S          drain ends after S s without a delivery, everything settled (default 3)
  --drain S          longest drain (default 30)
  --resume-timeout S SM_RESUME_TIMEOUT_S of the stack (default 30)
  --port P1,P2       use a running server (only --faults none: it cannot kill)
  --host H, --domain D, --prefix P, --password P
  --one-stack        run a mode's faults one after the other on one stack and one set of
                     clients (default: a fresh stack and fresh clients for each fault,
                     so one fault's damage does not count against the next)
  --keep             keep the data directories
  --json             one JSON object on stdout (human lines go to stderr)
  --verbose          server log lines and client events on stderr
`;

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const key = (eq > 0 ? a.slice(2, eq) : a.slice(2)).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (eq > 0) o[key] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && !['json', 'verbose', 'help', 'keep', 'one-stack', 'oneStack'].includes(key))
      o[key] = argv[++i];
    else o[key] = true;
  }
  return o;
}

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const num = (v, d) => (v === undefined ? d : Number(v));
const list = (v, d) => (v === undefined ? d : String(v).split(',').filter(Boolean));
const cfg = {
  modes: list(args.modes, ['sm', 'plain']),
  faults: list(args.faults, ['none', 'nats', 'router', 'session', 'auth', 'edge']),
  pairs: num(args.pairs, 20),
  rate: num(args.rate, 25),
  offlineSenders: num(args.offlineSenders, 2),
  offlineRate: num(args.offlineRate, 3),
  before: num(args.before, 3),
  down: num(args.down, 2.5),
  after: num(args.after, 5),
  quiet: num(args.quiet, 3),
  drain: num(args.drain, 30),
  resumeTimeout: num(args.resumeTimeout, 30),
  ports: args.port ? String(args.port).split(',').map(Number) : null,
  host: args.host ?? '127.0.0.1',
  domain: args.domain ?? 'localhost',
  prefix: args.prefix ?? `f${Date.now().toString(36)}`,
  password: args.password ?? 'fault-pw',
  keep: !!args.keep,
  oneStack: !!args.oneStack,
  json: !!args.json,
  verbose: !!args.verbose,
};
for (const m of cfg.modes) if (!['sm', 'plain'].includes(m)) throw new Error(`unknown mode ${m}`);
for (const f of cfg.faults) if (!['none', 'nats', 'router', 'session', 'auth', 'edge'].includes(f)) throw new Error(`unknown fault ${f}`);
if (cfg.ports && cfg.faults.some((f) => f !== 'none')) {
  process.stderr.write('--port: the tool can only kill processes of a stack it started; use --faults none with --port\n');
  process.exit(2);
}
const out = cfg.json ? process.stderr : process.stdout;
const say = (s = '') => out.write(s + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 1) => (v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d);

// ------------------------------------------------------------------ the stack and its processes

let stack = null;
let dataDir = null;
let stopping = false;
const serverExits = [];
const serverLog = { warnings: {}, lines: [] };
let stackMod = null;

function onServerLine(name, line) {
  if (cfg.verbose) process.stderr.write(`[${name}] ${line}\n`);
  if (/\[(INF|DBG|TRC)\]/.test(line)) return; // nats-server chatter
  serverLog.warnings[name] = (serverLog.warnings[name] ?? 0) + 1;
  if (serverLog.lines.length < 30) serverLog.lines.push(`[${name}] ${line.slice(0, 300)}`);
}

/** Report a process that exits without our kill. */
function watch(name, child) {
  child.once('exit', (code, signal) => {
    if (stopping || child.killedByUs) return;
    const m = `${name} (pid ${child.pid}) exited by itself: code ${code} signal ${signal}`;
    serverExits.push(m);
    say(`!! ${m}`);
  });
}

async function startOwnStack() {
  const root = new URL('../..', import.meta.url).pathname;
  for (const a of ['auth', 'session', 'router', 'edge']) {
    if (!existsSync(join(root, 'dist/apps', a, 'main.cjs')))
      throw new Error(`dist/apps/${a}/main.cjs missing: build the apps first (node tools/scripts/setup.mjs)`);
  }
  stackMod = await import('../scripts/stack.mjs');
  dataDir = mkdtempSync(join(tmpdir(), 'cx-fault-'));
  stack = await stackMod.startStack({
    dataDir,
    edges: 2,
    env: {
      REGISTRATION_OPEN: 'true',
      ALLOW_PLAINTEXT_AUTH: 'true', // registers and logs in without TLS (loopback)
      LOG_LEVEL: 'warn',
      // a dead edge is noticed in about 2 s, as in the resilience e2e tests
      EDGE_TTL_MS: '2000',
      HEARTBEAT_INTERVAL_MS: '500',
      EDGE_SWEEP_INTERVAL_MS: '500',
      SM_RESUME_TIMEOUT_S: String(cfg.resumeTimeout),
      SM_HANDOVER_GRACE_MS: '1500',
    },
    onLine: onServerLine,
  });
  watch('nats', stack.nats.child);
  for (const p of stack.procs) watch(p.name, p.child);
  return stack.edgePorts;
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/** SIGKILL the fault's process; resolves to a function that starts it again the same way. */
async function kill(fault) {
  if (fault === 'nats') {
    const child = stack.nats.child;
    child.killedByUs = true;
    child.kill('SIGKILL');
    await exited(child);
    return async () => {
      const n = await stackMod.startNats({ dataDir, port: stack.nats.port, onLine: (l) => onServerLine('nats', l) });
      // stack.stop() stops the nats object it started with: point it at the new process
      stack.nats.child = n.child;
      stack.nats.stop = n.stop;
      watch('nats', n.child);
    };
  }
  const p = fault === 'edge' ? stack.edges[0] : stack.procs.find((x) => x.name === fault);
  p.child.killedByUs = true;
  p.child.kill('SIGKILL');
  await exited(p.child);
  return async () => {
    const fresh = stack.restart(p);
    watch(fresh.name, fresh.child);
    if (fault === 'edge') await stackMod.waitForPort(stack.edgePorts[0], 30000);
  };
}

// ------------------------------------------------------------------ load

const TICK_MS = 40;

/** Everything one mode needs: its clients, their ledger, the ticker. */
class Run {
  constructor(mode, ports, faults) {
    this.mode = mode;
    this.ports = ports;
    this.ledger = new Ledger();
    this.cache = new ScramCache();
    this.clients = [];
    this.load = false;
    this.timer = null;
    this.users = Array.from({ length: cfg.pairs * 2 }, (_, i) => `${cfg.prefix}${mode}${i + 1}`);
    this.offUsers = faults.map((f) => `${cfg.prefix}${mode}off${f}`);
  }

  client(user, home, rate, offRate) {
    return new FaultClient({
      user,
      password: cfg.password,
      domain: cfg.domain,
      host: cfg.host,
      ports: this.ports,
      home,
      sm: this.mode === 'sm',
      cache: this.cache,
      ledger: this.ledger,
      rate,
      offRate,
    });
  }

  async setup() {
    const reg = await registerUsers({
      port: this.ports[0],
      host: cfg.host,
      domain: cfg.domain,
      users: [...this.users, ...this.offUsers],
      password: cfg.password,
    });
    if (reg.failed) throw new Error(`registration failed: ${JSON.stringify(reg.errors)}`);
    // pair i: user 2i on edge 1, user 2i+1 on edge 2 (with one port, both on it)
    this.clients = this.users.map((u, i) => this.client(u, (i % 2) % this.ports.length, cfg.rate, i < cfg.offlineSenders ? cfg.offlineRate : 0));
    for (let i = 0; i < this.clients.length; i += 10) await Promise.all(this.clients.slice(i, i + 10).map((c) => c.start()));
    for (let i = 0; i < this.clients.length; i++) this.clients[i].partner = `${this.users[i ^ 1]}@${cfg.domain}`;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const c of this.clients) c.tick(now, now - last, this.load);
      last = now;
    }, TICK_MS);
  }

  /** Until every client is online, settled and nothing arrived for --quiet s (or --drain s passed). */
  async drain() {
    const t0 = performance.now();
    for (;;) {
      await sleep(200);
      const now = performance.now();
      const settled = this.clients.every((c) => c.settled);
      if (settled && now - this.ledger.lastDeliveryAt >= cfg.quiet * 1000) return { seconds: round((now - t0) / 1000), complete: true };
      if (now - t0 >= cfg.drain * 1000) return { seconds: round((now - t0) / 1000), complete: false, unsettled: this.clients.filter((c) => !c.settled).length };
    }
  }

  /** The phase's offline account logs in (with this mode's SM setting) and receives what was stored for it. */
  async collectOffline(user) {
    const c = this.client(user, 1 % this.ports.length, 0, 0);
    const t0 = performance.now();
    await Promise.race([c.start(), sleep(cfg.drain * 1000)]);
    while (performance.now() - t0 < cfg.drain * 1000 && (!c.online || performance.now() - Math.max(this.ledger.lastDeliveryAt, t0) < 2000)) await sleep(200);
    await c.stop();
  }

  async phase(fault) {
    const ledger = this.ledger;
    ledger.phase = fault;
    const offJid = `${cfg.prefix}${this.mode}off${fault}@${cfg.domain}`;
    for (const c of this.clients) c.offTarget = c.offRate > 0 ? offJid : null;
    const ph = { fault, tStart: performance.now() };
    this.load = true;
    await sleep(cfg.before * 1000);
    ph.tKill = performance.now();
    const restart = fault === 'none' ? null : await kill(fault);
    await sleep(cfg.down * 1000);
    if (restart) await restart();
    ph.tRestart = performance.now();
    await sleep(cfg.after * 1000);
    ph.tLoadEnd = performance.now();
    this.load = false;
    for (const c of this.clients) c.offTarget = null;
    ph.drain = await this.drain();
    if (!ph.drain.complete) say(`  ${this.mode}/${fault}: drain incomplete after ${ph.drain.seconds} s (${ph.drain.unsettled} clients not settled)`);
    ledger.phase = `${fault}:offline`;
    await this.collectOffline(`${cfg.prefix}${this.mode}off${fault}`);
    ph.tEnd = performance.now();
    return ph;
  }

  async stop() {
    clearInterval(this.timer);
    await Promise.all(this.clients.map((c) => c.stop()));
  }
}

// ------------------------------------------------------------------ figures

/** One row: the messages of one phase and kind (pairs or to the offline account). */
function rowFor(run, ph, kind) {
  const sm = run.mode === 'sm';
  const r = {
    mode: run.mode,
    fault: ph.fault,
    to: kind === 'pair' ? 'online' : 'offline',
    sent: 0,
    acked: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    unconfirmed: 0,
    bounced: 0,
    resent: 0,
    lostBySecondFromKill: {},
    deliveredBySecondFromKill: {},
    deliveredBySentSecond: {},
  };
  // receiver → the earliest arrival among the messages sent to it after the kill
  // and after the last one of those that did not arrive: delivery is back for good from there
  const resumedAt = new Map();
  for (const rec of run.ledger.recs.values()) {
    if (rec.phase !== ph.fault || rec.kind !== kind) continue;
    r.sent++;
    if (rec.acked) r.acked++;
    r.resent += rec.resent;
    const sentS = Math.floor((rec.t - ph.tKill) / 1000); // in whole seconds from the kill (negative: before it)
    if (rec.delivered > 0) {
      r.delivered++;
      r.duplicated += rec.delivered - 1;
      // the shape of the outage: first arrivals by second from the kill, and by the second their message was sent in
      const a = Math.floor((rec.firstAt - ph.tKill) / 1000);
      r.deliveredBySecondFromKill[a] = (r.deliveredBySecondFromKill[a] ?? 0) + 1;
      r.deliveredBySentSecond[sentS] = (r.deliveredBySentSecond[sentS] ?? 0) + 1;
      if (rec.t >= ph.tKill) {
        const f = resumedAt.get(rec.to);
        if (f === undefined || f === null || rec.firstAt < f) resumedAt.set(rec.to, rec.firstAt);
      }
      continue;
    }
    if (rec.t >= ph.tKill) resumedAt.set(rec.to, null); // records come in the order they were sent: not back yet
    if (rec.bounced > 0) r.bounced++;
    // the server's word was given (SM: acked; without: a later ping answered, or the connection lived): not delivered is lost
    else if (sm ? rec.acked : !rec.dying) {
      r.lost++;
      r.lostBySecondFromKill[sentS] = (r.lostBySecondFromKill[sentS] ?? 0) + 1;
    } else r.unconfirmed++;
  }
  if (kind === 'pair') {
    const waits = run.users.map((u) => resumedAt.get(`${u}@${cfg.domain}`)).map((t) => (t === undefined || t === null ? null : (t - ph.tKill) / 1000));
    const got = waits.filter((w) => w !== null).sort((a, b) => a - b);
    r.resumeS = got.length === waits.length ? round(got.at(-1), 2) : null; // null: for some receiver delivery was not back by the end
    r.resumeP50S = got.length ? round(got[Math.floor(got.length / 2)], 2) : null;
    r.receiversNeverResumed = waits.length - got.length;
    r.maxGapS = round(Math.max(...run.users.map((u) => longestSilence(run.ledger.arrivals.get(`${u}@${cfg.domain}`) ?? [], ph.tKill, ph.tLoadEnd))) / 1000, 2);
  }
  const evs = run.ledger.events.filter((e) => e.phase === ph.fault || (kind === 'offline' && e.phase === `${ph.fault}:offline`));
  const count = (k) => evs.filter((e) => e.kind === k).length;
  if (kind === 'pair')
    Object.assign(r, {
      connectionsLost: count('connection-lost'),
      resumed: count('resumed'),
      resumeFailed: count('resume-failed'),
      connectFailed: count('connect-failed'),
      ackAnomalies: count('ack-anomaly'),
    });
  r.drainSeconds = ph.drain.seconds;
  r.drainComplete = ph.drain.complete;
  return r;
}

/** Longest time in [from, to] without a delivery, given the sorted delivery times. */
function longestSilence(times, from, to) {
  let last = from;
  let gap = 0;
  for (const t of times) {
    if (t < from) continue;
    if (t > to) break;
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, to - last);
}

function table(rows) {
  const cols = [
    ['mode', 'mode'],
    ['fault', 'fault'],
    ['to', 'to'],
    ['sent', 'sent'],
    ['acked', 'acked'],
    ['delivered', 'delivered'],
    ['lost', 'lost'],
    ['duplicated', 'dup'],
    ['unconfirmed', 'unconf'],
    ['bounced', 'bounced'],
    ['resumeS', 'resume s'],
    ['resumeP50S', 'p50 s'],
    ['maxGapS', 'max gap s'],
    ['connectionsLost', 'conn lost'],
    ['resumed', 'resumed'],
    ['resumeFailed', 'res. failed'],
  ];
  const cell = (r, k) => (r[k] === undefined ? '-' : r[k] === null ? (k === 'resumeS' ? `never(${r.receiversNeverResumed})` : '-') : String(r[k]));
  const w = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => cell(r, k).length)));
  const line = (vals) => vals.map((v, i) => (i < 3 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  ');
  return [line(cols.map(([, h]) => h)), ...rows.map((r) => line(cols.map(([k]) => cell(r, k))))].join('\n');
}

// ------------------------------------------------------------------ main

/** One mode's faults on one stack (the same clients throughout); prints a line per fault. */
async function runFaults(mode, ports, faults) {
  const run = new Run(mode, ports, faults);
  const t0 = performance.now();
  await run.setup();
  say(
    `${mode}: ${cfg.pairs} pairs online in ${round((performance.now() - t0) / 1000, 2)} s (${ports.length > 1 ? 'pairs split across edges ' + ports.join('/') : 'one edge ' + ports[0]}), ${cfg.rate} msg/s each`,
  );
  const phases = [];
  try {
    for (const fault of faults) {
      const ph = await run.phase(fault);
      phases.push(ph);
      const [on, off] = [rowFor(run, ph, 'pair'), rowFor(run, ph, 'offline')];
      say(
        `  ${mode}/${fault}: online sent ${on.sent} delivered ${on.delivered} lost ${on.lost} dup ${on.duplicated} unconfirmed ${on.unconfirmed} bounced ${on.bounced} resume ${on.resumeS ?? 'never'} s, max gap ${on.maxGapS} s; offline sent ${off.sent} delivered ${off.delivered} lost ${off.lost}`,
      );
    }
  } finally {
    await run.stop();
  }
  // figures at the end: a late delivery still counts for the phase its message was sent in
  return { rows: phases.flatMap((ph) => [rowFor(run, ph, 'pair'), rowFor(run, ph, 'offline')]), stray: run.ledger.stray };
}

async function stopOwnStack() {
  stopping = true;
  await stack?.stop().catch(() => undefined);
  if (dataDir && !cfg.keep) rmSync(dataDir, { recursive: true, force: true });
  stack = null;
  dataDir = null;
  stopping = false;
}

/**
 * A fault can leave the server broken for what follows (the NATS
 * restart stalled stream-managed delivery for good), so by default each fault
 * gets a stack of its own; --one-stack runs a mode's faults one after the other
 * on one stack and one set of clients.
 */
async function runMode(mode) {
  if (cfg.ports) return runFaults(mode, cfg.ports, cfg.faults);
  const groups = cfg.oneStack ? [cfg.faults] : cfg.faults.map((f) => [f]);
  const res = { rows: [], stray: 0 };
  for (const faults of groups) {
    const t0 = performance.now();
    const ports = await startOwnStack();
    say(`stack up in ${round((performance.now() - t0) / 1000, 2)} s: edges on ${ports.join(', ')} (data in ${dataDir})`);
    try {
      const r = await runFaults(mode, ports, faults);
      res.rows.push(...r.rows);
      res.stray += r.stray;
    } finally {
      await stopOwnStack();
    }
  }
  return res;
}

async function main() {
  const t0 = performance.now();
  const result = { config: cfg, modes: {}, rows: [] };
  for (const mode of cfg.modes) {
    const m = await runMode(mode);
    result.modes[mode] = { stray: m.stray };
    result.rows.push(...m.rows);
  }
  result.seconds = round((performance.now() - t0) / 1000);
  result.serverExits = serverExits;
  result.serverLog = serverLog;
  say('');
  say(table(result.rows));
  say('');
  say(
    `acked: SM <a h/> covered it; without SM, a later ping was answered. lost: acked (SM) or not on a dying connection (without SM), never delivered, no error.`,
  );
  say(`unconfirmed: SM: never acked, not delivered; without SM: sent on a connection that died after its last answered ping, not delivered.`);
  say(`resume s: from the kill until delivery was back for good at the last receiver: the first arrival of a message sent after the kill`);
  say(`  from which on every message to it arrived (never(n): for n receivers messages kept going missing until the end of the load).`);
  say(`max gap s: the longest time any receiver went without a delivery between the kill and the end of the load.`);
  const anomalies = result.rows.reduce((n, r) => n + (r.ackAnomalies ?? 0), 0);
  if (anomalies) say(`!! ${anomalies} acknowledgements (<a h/>, <resumed h/>) went backwards or past what the client had sent`);
  for (const [mode, m] of Object.entries(result.modes)) if (m.stray) say(`${mode}: ${m.stray} deliveries with ids this run never sent`);
  if (Object.keys(serverLog.warnings).length) say(`server warnings/errors by process: ${JSON.stringify(serverLog.warnings)}`);
  say(`total ${result.seconds} s`);
  if (cfg.json) process.stdout.write(JSON.stringify(result) + '\n');
}

async function cleanup() {
  await stopOwnStack();
}

process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
main()
  .then(cleanup, async (err) => {
    process.stderr.write(`fault run failed: ${err?.stack ?? err}\n`);
    await cleanup();
    process.exitCode = 1;
  })
  .then(() => process.exit());
