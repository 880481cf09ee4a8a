#!/usr/bin/env node
// Benchmark of the server over raw XMPP/TCP. See tools/bench/README.md.
//
//   node tools/bench/run.mjs [login|messages|idle|presence|storm|mam|muc|all] [--port P[,P2]] [--edges N]
//        [--workers N] [--duration S] [--json] ...   (--help for all options)
//
// Without --port it starts the whole stack (nats + auth, session, router,
// edge×N from dist/apps) in a fresh temp dir and stops it at the end. The
// load runs in worker threads (worker.mjs); this thread only orchestrates and
// samples /proc (RSS, CPU seconds) of the server processes.
import { Worker } from 'node:worker_threads';
import { readFileSync, mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { scenarioMuc } from './lib/muc-scenario.mjs';
import { scenarioUpload } from './lib/upload-scenario.mjs';

const HELP = `usage: node tools/bench/run.mjs [scenario] [options]

scenarios:
  login      register --users accounts (untimed), then --clients concurrent clients
             do full SCRAM-SHA-1 logins (connect → session result), send initial presence,
             wait for its echo, ping the server and close, for --duration (--no-presence: close at once)
  messages   --pairs pairs of online users send chat messages to each other's full JID,
             --window in flight per sender, for --duration; then drain and count losses
  idle       log in --sessions idle sessions (with presence) and report memory per session
  presence   --users users online, each subscribed both ways with --roster contacts (set up
             untimed, with pre-approval); then fan-out latency of single presence updates
             (--samples), and for --duration every user sends updates (next one after its
             echo): presence deliveries/s, latency, lost after a drain
  storm      the presence storm: --users users (default 50) with full mutual rosters
             (--roster, default users-1; set up untimed as for presence) all log out, then
             all log in at once with initial presence, --rounds times (default 3); reports the
             contact presences missing after --timeout (must be 0) and the time until each
             user had every contact's presence (p50/max)
  mam        message history (XEP-0313): the messages scenario with the router's mam module on,
             then (on the stack the tool starts) again with it off after restarting the router
             (ROUTER_MODULES without mam): msgs/s on vs off in the same run; then --archive
             messages from --senders peers fill one account's archive and --samples queries of
             each kind are timed: first page, last page (<before/>), the last and the first page
             with one peer (with), a page being --page results (default 50, the server's cap)
  muc        group chat (XEP-0045): --rooms rooms of --occupants distinct users, each user in
             --rooms-per-user rooms (users = rooms × occupants / rooms-per-user), users alternating
             edges; logged in untimed, then the join storm (timed): each room's first occupant
             creates it and accepts the default configuration (instant room), then the others
             join at once: time until every occupant has its self-presence (110), join p50/p99;
             then for --duration --room-senders occupants per room send groupchat messages,
             --window in flight each (back when the reflected copy arrives): deliveries to
             occupants/s, fan-out latency p50/p99, missing/duplicates after a drain (must be 0);
             memory per occupant (RSS of the server before vs after the joins)
  upload     HTTP File Upload (XEP-0363): one user gets --transfers × --rounds slots (untimed), then
             PUTs them --transfers at a time (--file-mb MiB each) through the upload service, then GETs
             them back: MB/s each way, CPU, and the upload process's RSS peak per concurrent transfer
  all        login then messages (default)

options:
  --port P[,P2]     use a running server (C2S port(s)); default: start the stack
  --host H          server host (default 127.0.0.1)
  --domain D        XMPP domain (default localhost)
  --edges N         edges to start (default 1; muc: 2); with 2, the users of a pair sit on different edges
                    (presence: users alternate between edges, so half of each roster is remote)
  --workers N       load-generator threads (default 1)
  --duration S      measured seconds for login, messages and presence (default 10)
  --warmup S        seconds of load before the measured window (default 1)
  --users N         accounts cycled through by the login scenario, users of the presence
                    scenario (default 200)
  --roster R        presence: contacts per user, all with subscription both (default 20)
  --rounds N        storm: rounds of all out, all in (default 3); upload: rounds of --transfers (default 2)
  --samples K       presence: fan-out latency samples, one update at a time (default 50)
  --clients C       concurrent login clients (default 50)
  --pairs P         message pairs (default 50)
  --window W        in-flight messages per sender (default 10; muc: 5)
  --body-bytes B    extra bytes of padding in each message body (default 0)
  --sm              messages: every client enables stream management (XEP-0198, resume)
                    and answers the server's <r/>, so deliveries go through the xmpp_sm stream
  --drain S         max seconds to wait for in-flight messages (or presences) after sending stops (default 5)
  --archive N       mam: messages in the queried archive (default 100000)
  --senders S       mam: peers that fill it (default 10; the with filter names the last one)
  --page N          mam: results per query (default 50)
  --sessions K      idle sessions (default 1000)
  --idle-wait S     seconds to wait before measuring idle memory (default 5)
  --idle-warmup N   logins+logouts before the idle baseline (default 200)
  --transfers N     upload: concurrent transfers (default 8)
  --file-mb M       upload: MiB per file (default 8)
  --transport T     idle: tcp (default), ws (RFC 7395 on the edges' WebSocket listener), or both
                    (one after the other on the same server), for memory per idle connection of each
  --ws-port P[,P2]  with --port: the edges' WebSocket ports (for --transport ws|both)
  --shaper B        SHAPER_BYTES_PER_SEC of the edges the tool starts (default 10000000: the
                    shaper runs but does not hold back the load generator's flood)
  --rooms N         muc: rooms (default 100)
  --occupants N     muc: occupants per room, distinct users (default 50)
  --rooms-per-user K  muc: rooms each user is in (default 5: 100 × 50 / 5 = 1000 users)
  --room-senders S  muc: occupants of each room that send in the throughput phase (default 1)
  --muc-domain D    muc: the group chat service (default conference.<domain>)
  --join-timeout S  muc: how long the join storm may take (default 120)
  --prefix P        username prefix (default bench; also names the muc rooms: <prefix>room<n>)
  --password P      password of the bench accounts (default bench-pw)
  --no-presence     login scenario: close right after the session result, without initial
                    presence (the figure before issue 11; by default every login sends initial
                    presence, waits for its echo and pings the server (XEP-0199) before closing, as
                    clients do and as the benchmark that judges this project does; "latency" ends at
                    the session result either way, "full login" at the ping result; --presence is
                    accepted and is the default)
  --timeout S       per-login timeout (default 15)
  --pids a=1,b=2    with --port: server processes to sample (RSS, CPU)
  --cpu-prof DIR    run the services with --cpu-prof into DIR and print their top functions
  --json            print one JSON object with all figures on stdout (human lines go to stderr)
  --verbose         show server log lines
`;

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      o._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = (eq > 0 ? a.slice(2, eq) : a.slice(2)).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (eq > 0) o[key] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && !['json', 'verbose', 'help', 'presence', 'noPresence', 'sm'].includes(key))
      o[key] = argv[++i];
    else o[key] = true;
  }
  return o;
}

const args = parseArgs(process.argv.slice(2));
if (args.help || args.h) {
  process.stdout.write(HELP);
  process.exit(0);
}
const num = (v, d) => (v === undefined ? d : Number(v));
const cfg = {
  scenario: args._[0] ?? 'all',
  ports: args.port ? String(args.port).split(',').map(Number) : null,
  host: args.host ?? '127.0.0.1',
  domain: args.domain ?? 'localhost',
  edges: num(args.edges, args._[0] === 'muc' ? 2 : 1),
  workers: num(args.workers, 1),
  duration: num(args.duration, 10),
  warmup: num(args.warmup, 1),
  users: num(args.users, args._[0] === 'storm' ? 50 : 200),
  roster: num(args.roster, args._[0] === 'storm' ? num(args.users, 50) - 1 : 20),
  rounds: num(args.rounds, args._[0] === 'upload' ? 2 : 3),
  transfers: num(args.transfers, 8),
  fileMb: num(args.fileMb, 8),
  samples: num(args.samples, 50),
  archive: num(args.archive, 100_000),
  senders: num(args.senders, 10),
  page: num(args.page, 50),
  clients: num(args.clients, 50),
  pairs: num(args.pairs, 50),
  window: num(args.window, args._[0] === 'muc' ? 5 : 10),
  rooms: num(args.rooms, 100),
  occupants: num(args.occupants, 50),
  roomsPerUser: num(args.roomsPerUser, 5),
  roomSenders: num(args.roomSenders, 1),
  mucDomain: args.mucDomain ?? `conference.${args.domain ?? 'localhost'}`,
  joinTimeout: num(args.joinTimeout, 120),
  bodyBytes: num(args.bodyBytes, 0),
  sm: !!args.sm,
  drain: num(args.drain, 5),
  sessions: num(args.sessions, 1000),
  idleWait: num(args.idleWait, 5),
  idleWarmup: args.idleWarmup === undefined ? undefined : Number(args.idleWarmup),
  transport: args.transport ?? 'tcp',
  wsPorts: args.wsPort ? String(args.wsPort).split(',').map(Number) : null,
  shaper: num(args.shaper, 10_000_000),
  prefix: args.prefix ?? 'bench',
  password: args.password ?? 'bench-pw',
  timeout: num(args.timeout, 15),
  json: !!args.json,
  // Logins with initial presence by default (what clients do, issue 11); --no-presence for the bare login.
  presence: !args.noPresence,
  cpuProf: typeof args.cpuProf === 'string' ? args.cpuProf : null,
  verbose: !!args.verbose,
};
if (!['login', 'messages', 'idle', 'presence', 'storm', 'mam', 'muc', 'upload', 'all'].includes(cfg.scenario)) {
  process.stderr.write(`unknown scenario ${cfg.scenario}\n${HELP}`);
  process.exit(2);
}
if (!['tcp', 'ws', 'both'].includes(cfg.transport)) {
  process.stderr.write(`unknown transport ${cfg.transport} (tcp, ws or both)\n`);
  process.exit(2);
}
const out = cfg.json ? process.stderr : process.stdout;
const say = (s = '') => out.write(s + '\n');

// ------------------------------------------------------------------ /proc

const cores = cpus().length;
let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 */
}

function cpuSeconds(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
  } catch {
    return null;
  }
}

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** [{name, pid}] of the server processes we can sample, plus the bench itself. */
let procs = [];
const snapshotRss = () => Object.fromEntries(procs.map((p) => [p.name, rssKiB(p.pid)]));
/** Whole machine: [busy, total] jiffies from /proc/stat. */
function machineJiffies() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return [total - f[3] - (f[4] ?? 0), total];
  } catch {
    return [0, 0];
  }
}
const snapshotCpu = () => ({ at: performance.now(), machine: machineJiffies(), cpu: Object.fromEntries(procs.map((p) => [p.name, cpuSeconds(p.pid)])) });
function cpuDelta(a, b) {
  const wall = (b.at - a.at) / 1000;
  const r = {};
  for (const k of Object.keys(a.cpu)) {
    if (a.cpu[k] === null || b.cpu[k] === null) continue;
    const s = b.cpu[k] - a.cpu[k];
    r[k] = { cpuSeconds: round(s, 2), percentOfCore: round((100 * s) / wall, 0) };
  }
  const busy = b.machine[0] - a.machine[0];
  const total = b.machine[1] - a.machine[1];
  // machine: all cores busy % (100 = every core busy), ours vs everything else on the box
  const ours = Object.values(r).reduce((s, v) => s + v.cpuSeconds, 0);
  const machineBusyCores = total ? (busy / total) * cores : null;
  return {
    wallSeconds: round(wall, 2),
    perProcess: r,
    machineBusyPercent: total ? round((100 * busy) / total, 0) : null,
    otherLoadCores: machineBusyCores === null ? null : round(Math.max(0, machineBusyCores - ours / wall), 2),
  };
}

// ------------------------------------------------------------------ helpers

const round = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const userName = (i) => `${cfg.prefix}${i}`;

function percentiles(arrays) {
  let n = 0;
  for (const a of arrays) n += a.length;
  const all = new Float64Array(n);
  let o = 0;
  for (const a of arrays) {
    all.set(a, o);
    o += a.length;
  }
  all.sort();
  const p = (q) => (n === 0 ? null : round(all[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))], 2));
  let sum = 0;
  for (let i = 0; i < n; i++) sum += all[i];
  return { n, mean: n ? round(sum / n, 2) : null, p50: p(0.5), p95: p(0.95), p99: p(0.99), max: n ? round(all[n - 1], 2) : null };
}

/** CPU time each process spent per operation in the window (unit: 'ms' or 'µs'). */
function perOp(cpu, ops, unit) {
  if (!cpu || !ops) return null;
  const k = unit === 'µs' ? 1e6 : 1e3;
  return Object.fromEntries(Object.entries(cpu.perProcess).map(([n, v]) => [n, round((v.cpuSeconds * k) / ops, unit === 'µs' ? 1 : 2)]));
}
const fmtPerOp = (o, unit) =>
  Object.entries(o ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') + ` (${unit})`;

function mergeErrors(list) {
  const e = {};
  for (const x of list) for (const [k, v] of Object.entries(x ?? {})) e[k] = (e[k] ?? 0) + v;
  return e;
}

function fmtCpu(d) {
  const per = Object.entries(d.perProcess)
    .map(([k, v]) => `${k} ${v.cpuSeconds}s (${v.percentOfCore}%)`)
    .join(', ');
  return `${per}; machine ${d.machineBusyPercent}% busy of ${cores} cores, ${d.otherLoadCores} cores used by other processes`;
}

function fmtRss(r) {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${v === null ? '?' : (v / 1024).toFixed(1)} MiB`)
    .join(', ');
}

// ------------------------------------------------------------------ workers

class Pool {
  constructor(n, data) {
    this.ws = Array.from({ length: n }, () => {
      const w = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: data });
      w.pending = new Map();
      w.seq = 0;
      w.on('message', ({ id, result, error }) => {
        const p = w.pending.get(id);
        w.pending.delete(id);
        if (error) p.reject(new Error(`worker: ${error}`));
        else p.resolve(result);
      });
      w.on('error', (err) => {
        for (const p of w.pending.values()) p.reject(err);
        w.pending.clear();
      });
      return w;
    });
  }
  call(i, cmd, args) {
    const w = this.ws[i];
    const id = ++w.seq;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.postMessage({ id, cmd, args });
    });
  }
  all(cmd, argsFor) {
    return Promise.all(this.ws.map((_, i) => this.call(i, cmd, typeof argsFor === 'function' ? argsFor(i) : argsFor)));
  }
  get size() {
    return this.ws.length;
  }
  terminate() {
    return Promise.all(this.ws.map((w) => w.terminate()));
  }
}

/** Split items into n round-robin shares. */
const shares = (items, n) => Array.from({ length: n }, (_, w) => items.filter((_, i) => i % n === w));

async function register(pool, users, ports) {
  const t0 = performance.now();
  const rs = await pool.all('register', (w) => ({ port: ports[0], users: shares(users, pool.size)[w] }));
  const r = { created: 0, existed: 0, failed: 0 };
  for (const x of rs) for (const k of Object.keys(r)) r[k] += x[k];
  r.errors = mergeErrors(rs.map((x) => x.errors));
  r.seconds = round((performance.now() - t0) / 1000, 2);
  say(
    `  registered ${users.length} accounts in ${r.seconds} s: ${r.created} new, ${r.existed} existed, ${r.failed} failed${r.failed ? ' ' + JSON.stringify(r.errors) : ''}`,
  );
  return r;
}

/** Log each user in once, then share the SCRAM cache between workers. */
async function warmLogins(pool, users, ports, presence = false, transport = 'tcp') {
  const logins = users.map((user, i) => ({ user, port: ports[i % ports.length] }));
  const rs = await pool.all('warm', (w) => ({ logins: shares(logins, pool.size)[w], presence, transport }));
  const entries = rs.flatMap((r) => r.cache);
  if (pool.size > 1) await pool.all('scramImport', { entries });
  const failed = rs.reduce((s, r) => s + r.failed, 0);
  if (failed) say(`  warm-up: ${failed} logins failed ${JSON.stringify(mergeErrors(rs.map((r) => r.errors)))}`);
  return { ok: rs.reduce((s, r) => s + r.ok, 0), failed };
}

/** Run `work` (a promise) while taking CPU snapshots at the edges of the measured window. */
async function measured(work, warmupMs, durationMs) {
  let a;
  let b;
  let rssAfter;
  const t1 = setTimeout(() => (a = snapshotCpu()), warmupMs);
  const end = new Promise((resolve) =>
    setTimeout(() => {
      b = snapshotCpu();
      rssAfter = snapshotRss();
      resolve();
    }, warmupMs + durationMs),
  );
  const [r] = await Promise.all([work, end]);
  clearTimeout(t1);
  return { r, cpu: a && b ? cpuDelta(a, b) : null, rssAfter };
}

// ------------------------------------------------------------------ scenarios

async function scenarioLogin(pool, ports) {
  say(
    `login${cfg.presence ? ' (+presence)' : ' (no presence)'}: ${cfg.users} accounts, ${cfg.clients} concurrent clients, ${cfg.duration} s (+${cfg.warmup} s warm-up), ${pool.size} worker(s), edges ${ports.join(',')}`,
  );
  const users = Array.from({ length: cfg.users }, (_, i) => userName(i + 1));
  const registration = await register(pool, users, ports);
  await warmLogins(pool, users, ports, cfg.presence);
  const memBefore = await memorySnapshot();
  const rssBefore = snapshotRss();
  const clientIds = Array.from({ length: cfg.clients }, (_, i) => i);
  const warmupMs = cfg.warmup * 1000;
  const durationMs = cfg.duration * 1000;
  const {
    r: rs,
    cpu,
    rssAfter,
  } = await measured(
    pool.all('loginRun', (w) => ({
      clients: shares(clientIds, pool.size)[w],
      totalClients: cfg.clients,
      users,
      ports,
      warmupMs,
      durationMs,
      presence: cfg.presence,
    })),
    warmupMs,
    durationMs,
  );
  const measuredN = rs.reduce((s, r) => s + r.measured, 0);
  const lat = percentiles(rs.map((r) => r.latencies));
  const fullLat = percentiles(rs.map((r) => r.fullLatencies));
  // Leak check: every login was closed; after a GC the heaps should be back near "before".
  const completed = rs.reduce((s, r) => s + r.completed, 0);
  await sleep(3000);
  const memAfter = await memorySnapshot();
  const leak = {};
  if (memAfter.gc) for (const k of Object.keys(memBefore.heapKiB)) leak[k] = round(((memAfter.heapKiB[k] - memBefore.heapKiB[k]) * 1024) / completed, 0);
  const res = {
    presence: cfg.presence,
    loginsPerSecond: round(measuredN / cfg.duration, 0),
    logins: measuredN,
    latencyMs: lat,
    fullLatencyMs: cfg.presence ? fullLat : null,
    stepsMs: Object.fromEntries(['connect+features', 'sasl', 'restart', 'bind', 'session'].map((name, i) => [name, percentiles(rs.map((r) => r.steps[i]))])),
    failures: rs.reduce((s, r) => s + r.failuresInWindow, 0),
    failuresTotal: rs.reduce((s, r) => s + r.failures, 0),
    errors: mergeErrors(rs.map((r) => r.errors)),
    generatorElu: rs.map((r) => round(r.elu, 2)),
    registration,
    cpu,
    cpuMsPerLogin: perOp(cpu, measuredN, 'ms'),
    heapLeftPerLoginB: memAfter.gc ? leak : null,
    heapBeforeKiB: memBefore.heapKiB,
    heapAfterKiB: memAfter.heapKiB,
    rssBeforeKiB: rssBefore,
    rssAfterKiB: rssAfter,
  };
  say(
    `  logins/s ${res.loginsPerSecond}  (${measuredN} in ${cfg.duration} s)  latency ms p50 ${lat.p50} p95 ${lat.p95} p99 ${lat.p99} max ${lat.max}  failures ${res.failures}`,
  );
  if (cfg.presence) say(`  full login (connect → presence echo → ping result) ms p50 ${fullLat.p50} p95 ${fullLat.p95} p99 ${fullLat.p99} max ${fullLat.max}`);
  say(
    `  steps p50/p99 ms: ${Object.entries(res.stepsMs)
      .map(([k, v]) => `${k} ${v.p50}/${v.p99}`)
      .join(', ')}`,
  );
  if (res.failuresTotal) say(`  errors: ${JSON.stringify(res.errors)}`);
  say(`  generator event-loop utilisation per worker: ${res.generatorElu.join(', ')}`);
  if (cpu) say(`  CPU in window: ${fmtCpu(cpu)}\n  CPU per login: ${fmtPerOp(res.cpuMsPerLogin, 'ms')}`);
  if (memAfter.gc)
    say(
      `  V8 heap left after ${completed} logins+logouts, bytes per login (leak check, ~0 expected): ${Object.entries(leak)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (procs.length) say(`  RSS before: ${fmtRss(rssBefore)}\n  RSS after:  ${fmtRss(rssAfter)}`);
  return res;
}

async function scenarioMessages(pool, ports) {
  const crossEdge = ports.length > 1;
  say(
    `messages${cfg.sm ? ' (stream management on)' : ''}: ${cfg.pairs} pairs, window ${cfg.window}/sender, ${cfg.duration} s (+${cfg.warmup} s warm-up), ${pool.size} worker(s), ${crossEdge ? 'pairs split across edges ' + ports.slice(0, 2).join('/') : 'one edge ' + ports[0]}`,
  );
  const users = Array.from({ length: cfg.pairs * 2 }, (_, i) => userName(i + 1));
  const registration = await register(pool, users, ports);
  const pairs = Array.from({ length: cfg.pairs }, (_, i) => ({
    a: { user: users[2 * i], port: ports[0] },
    b: { user: users[2 * i + 1], port: ports[1 % ports.length] },
  }));
  const t0 = performance.now();
  const setup = await pool.all('pairsSetup', (w) => ({ pairs: shares(pairs, pool.size)[w], sm: cfg.sm }));
  const ready = setup.reduce((s, r) => s + r.pairs, 0);
  say(
    `  ${ready} pairs online in ${round((performance.now() - t0) / 1000, 2)} s${ready < cfg.pairs ? ' — failed: ' + JSON.stringify(mergeErrors(setup.map((r) => r.errors))) : ''}`,
  );
  if (ready === 0) throw new Error('no pair came online');
  await sleep(200);
  const rssBefore = snapshotRss();
  const warmupMs = cfg.warmup * 1000;
  const durationMs = cfg.duration * 1000;
  const {
    r: rs,
    cpu,
    rssAfter,
  } = await measured(
    pool.all('pairsRun', { window: cfg.window, warmupMs, durationMs, drainMs: cfg.drain * 1000, bodyBytes: cfg.bodyBytes }),
    warmupMs,
    durationMs,
  );
  await pool.all('pairsClose');
  const sum = (k) => rs.reduce((s, r) => s + r[k], 0);
  const lat = percentiles(rs.map((r) => r.latencies));
  const sent = sum('sent');
  const received = sum('received');
  const res = {
    pairs: ready,
    crossEdge,
    deliveredPerSecond: round(sum('measured') / cfg.duration, 0),
    delivered: sum('measured'),
    latencyMs: lat,
    sent,
    received,
    lost: sent - received,
    outOfOrder: sum('outOfOrder'),
    bounced: sum('bounced'),
    streamErrors: sum('streamErrors'),
    connectionsClosed: sum('closed'),
    generatorElu: rs.map((r) => round(r.elu, 2)),
    registration,
    cpu,
    cpuUsPerMessage: perOp(cpu, sum('measured'), 'µs'),
    rssBeforeKiB: rssBefore,
    rssAfterKiB: rssAfter,
  };
  say(
    `  delivered msgs/s ${res.deliveredPerSecond}  (${res.delivered} in ${cfg.duration} s)  latency ms p50 ${lat.p50} p95 ${lat.p95} p99 ${lat.p99} max ${lat.max}`,
  );
  say(
    `  sent ${sent}, received ${received}, lost ${res.lost}, out of order ${res.outOfOrder}, bounced ${res.bounced}, stream errors ${res.streamErrors}, connections closed ${res.connectionsClosed}`,
  );
  say(`  generator event-loop utilisation per worker: ${res.generatorElu.join(', ')}`);
  if (cpu) say(`  CPU in window: ${fmtCpu(cpu)}\n  CPU per delivered message: ${fmtPerOp(res.cpuUsPerMessage, 'µs')}`);
  if (procs.length) say(`  RSS before: ${fmtRss(rssBefore)}\n  RSS after:  ${fmtRss(rssAfter)}`);
  return res;
}

/** The router modules without mam (ROUTER_MODULES' default less mam; keep in step with libs/xmpp/modules/src/setting.ts). */
const MODULES_WITHOUT_MAM = 'disco,account,ping,register,version,time,private,vcard,roster,presence,blocking,carbons,offline,last,pep';

/** Restart the stack's routers with these extra settings; wait until the edges are back on them. */
async function restartRouters(env, ports) {
  const { waitForPort } = await import('../scripts/stack.mjs');
  for (const p of stack.procs.filter((x) => x.name === 'router')) {
    expectedExits.add(p.child.pid);
    await p.stop();
    p.env = { ...p.env, ...env };
    const fresh = stack.restart(p);
    const entry = procs.find((x) => x.pid === p.child.pid);
    if (entry) entry.pid = fresh.child.pid;
    await waitForPort(Number(p.env.ROUTER_GRPC_PORT), 30000);
  }
  // The edges' Route streams reconnect with a back-off: wait until a login works again.
  for (let i = 0; i < 20; i++) {
    await sleep(1500);
    const r = await warmLogins(pool, [userName(1)], ports);
    if (r.ok === 1) return;
  }
  throw new Error('the edges did not come back to the restarted router');
}

async function scenarioMam(pool, ports) {
  say(`mam: messages with MAM on${stack ? ', then off (router restarted without the mam module)' : ''}; then a ${cfg.archive}-message archive queried`);
  const on = await scenarioMessages(pool, ports);
  let off = null;
  if (stack) {
    await restartRouters({ ROUTER_MODULES: MODULES_WITHOUT_MAM }, ports);
    say('mam: the same with the mam module off');
    off = await scenarioMessages(pool, ports);
    await restartRouters({ ROUTER_MODULES: `${MODULES_WITHOUT_MAM},mam` }, ports);
  } else say('  (MAM off is measured only on the stack the tool starts)');
  const owner = `${cfg.prefix}mamowner`;
  const senders = Array.from({ length: cfg.senders }, (_, i) => `${cfg.prefix}mampeer${i + 1}`);
  await register(pool, [owner, ...senders], ports);
  const t0 = performance.now();
  const r = await pool.call(0, 'mamArchive', { owner, senders, port: ports[0], ports, total: cfg.archive, samples: cfg.samples, page: cfg.page });
  say(
    `  filled the archive: ${r.received} messages (${r.bounced} bounced) in ${round(r.fillSeconds, 1)} s (${round(r.received / r.fillSeconds, 0)} msgs/s, each archived twice)`,
  );
  const queries = {};
  for (const [k, v] of Object.entries(r.queries)) {
    queries[k] = { ...percentiles([v.latencies]), results: v.results };
    say(`  ${k.padEnd(14)} ${v.results} results: ms p50 ${queries[k].p50} p99 ${queries[k].p99} max ${queries[k].max}`);
  }
  const res = {
    onDeliveredPerSecond: on.deliveredPerSecond,
    offDeliveredPerSecond: off?.deliveredPerSecond ?? null,
    on,
    off,
    archive: { messages: r.received, fillSeconds: round(r.fillSeconds, 1), seconds: round((performance.now() - t0) / 1000, 1) },
    queries,
  };
  say(`  msgs/s with MAM on ${res.onDeliveredPerSecond}, off ${res.offDeliveredPerSecond ?? '-'}`);
  return res;
}

/** The idle scenario over TCP, WebSocket or both (one after the other). */
async function runIdle(pool, ports, wsPorts) {
  const kinds = cfg.transport === 'both' ? ['tcp', 'ws'] : [cfg.transport];
  const out = {};
  for (const t of kinds) {
    if (t === 'ws' && !wsPorts?.length) throw new Error("--transport ws needs the edges' WebSocket ports (--ws-port with --port)");
    out[t] = await scenarioIdle(pool, ports, t, t === 'ws' ? wsPorts : ports);
    if (t === 'tcp' && kinds.length > 1) await sleep(2000);
  }
  if (kinds.length > 1) {
    const edge = (r) =>
      round(
        Object.entries(r.perSessionKiB)
          .filter(([k]) => k.startsWith('edge'))
          .reduce((a, [, v]) => a + v, 0),
        1,
      );
    say(
      `memory per idle connection (RSS, GC'd): TCP ${out.tcp.totalPerSessionKiB} KiB total (edge ${edge(out.tcp)}), WebSocket ${out.ws.totalPerSessionKiB} KiB total (edge ${edge(out.ws)})`,
    );
  }
  return kinds.length === 1 ? out[kinds[0]] : out;
}

async function scenarioIdle(pool, c2sPorts, transport = 'tcp', ports = c2sPorts) {
  const K = cfg.sessions;
  say(
    `idle over ${transport === 'ws' ? 'WebSocket (RFC 7395)' : 'TCP'}: ${K} sessions (with presence), wait ${cfg.idleWait} s, ${pool.size} worker(s), edges ${ports.join(',')}`,
  );
  const users = Array.from({ length: K }, (_, i) => userName(i + 1));
  const registration = await register(pool, users, c2sPorts);
  // Warm the servers' code paths (JIT, pools, gRPC/NATS buffers) with some
  // logins+logouts, so "before" is not a cold process.
  const churn = Math.min(cfg.idleWarmup ?? 200, K);
  if (churn > 0) {
    const t1 = performance.now();
    await warmLogins(pool, users.slice(0, churn), ports, true, transport);
    say(`  warm-up: ${churn} logins+logouts in ${round((performance.now() - t1) / 1000, 2)} s`);
  }
  await sleep(1000);
  const before = await memorySnapshot();
  const sessions = users.map((user, i) => ({ user, port: ports[i % ports.length] }));
  const t0 = performance.now();
  const rs = await pool.all('idleSetup', (w) => ({ sessions: shares(sessions, pool.size)[w], transport }));
  const ok = rs.reduce((s, r) => s + r.ok, 0);
  const failed = rs.reduce((s, r) => s + r.failed, 0);
  say(
    `  ${ok} sessions online in ${round((performance.now() - t0) / 1000, 2)} s${failed ? `, ${failed} failed ${JSON.stringify(mergeErrors(rs.map((r) => r.errors)))}` : ''}`,
  );
  const c0 = snapshotCpu();
  await sleep(cfg.idleWait * 1000);
  const cpu = cpuDelta(c0, snapshotCpu());
  const rssNoGc = snapshotRss();
  const after = await memorySnapshot();
  const open = (await pool.all('idleCheck')).reduce((s, r) => s + r.open, 0);
  const closing = await pool.all('idleClose', { waitMs: 5000 });
  const notClosed = closing.reduce((s, r) => s + r.notClosed, 0);
  say(
    `  closed them: the server closed its side of ${ok - notClosed} streams in ${round(Math.max(...closing.map((r) => r.ms)) / 1000, 2)} s${notClosed ? `; ${notClosed} still open after 5 s` : ''}`,
  );
  // Leak check: once the sessions are gone, the heaps should be back near "before".
  await sleep(2000);
  const closed = await memorySnapshot();
  const per = (a, b) => {
    const r = {};
    for (const k of Object.keys(a)) if (a[k] != null && b[k] != null && ok > 0) r[k] = round((b[k] - a[k]) / ok, 1);
    return r;
  };
  const perSession = per(before.rssKiB, after.rssKiB);
  const heapPerSession = per(before.heapKiB, after.heapKiB);
  const counted = (o) => Object.keys(o).filter((k) => k === 'nats' || k === 'session' || k === 'router' || k.startsWith('edge'));
  const sum = (o) =>
    counted(o).length
      ? round(
          counted(o).reduce((s, k) => s + o[k], 0),
          1,
        )
      : null;
  const res = {
    transport,
    sessions: ok,
    failed,
    stillOpen: open,
    notClosedByServerAfter5s: notClosed,
    gcBeforeMeasuring: before.gc,
    perSessionKiB: perSession,
    totalPerSessionKiB: sum(perSession),
    heapPerSessionKiB: heapPerSession,
    heapTotalPerSessionKiB: sum(heapPerSession),
    totalCounts: counted(perSession),
    registration,
    idleCpu: cpu,
    rssBeforeKiB: before.rssKiB,
    rssAfterKiB: after.rssKiB,
    rssAfterNoGcKiB: rssNoGc,
    heapBeforeKiB: before.heapKiB,
    heapAfterKiB: after.heapKiB,
    heapAfterCloseKiB: closed.heapKiB,
    heapLeftAfterClosePerSessionB: Object.fromEntries(Object.entries(per(before.heapKiB, closed.heapKiB)).map(([k, v]) => [k, round(v * 1024, 0)])),
  };
  if (procs.length > 1) {
    say(`  RSS before: ${fmtRss(before.rssKiB)}${before.gc ? ' (after a forced full GC in each node service)' : ''}\n  RSS after:  ${fmtRss(after.rssKiB)}`);
    say(
      `  RSS KiB per idle session: ${Object.entries(perSession)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    say(`  total (${res.totalCounts.join('+')}): ${res.totalPerSessionKiB} KiB/session   (ejabberd 57, Prosody 34, target < 28)`);
    if (before.gc)
      say(
        `  V8 heap+external KiB per session: ${Object.entries(heapPerSession)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; total ${res.heapTotalPerSessionKiB}`,
      );
    if (before.gc)
      say(
        `  V8 heap left after closing them, bytes per session (leak check, ~0 expected): ${Object.entries(res.heapLeftAfterClosePerSessionB)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    say(`  idle CPU over ${cpu.wallSeconds} s: ${fmtCpu(cpu)}`);
  } else say('  (no server pids: pass --pids name=pid,... to sample a server not started here)');
  if (open < ok) say(`  ${ok - open} sessions were closed by the server while idle`);
  return res;
}

/**
 * Contacts of user i among n users, r of them: i±1..i±r/2 (mod n), plus the
 * user opposite i when r is odd (n even). Symmetric, so every pair ends `both`.
 */
function ringContacts(i, n, r) {
  const c = new Set();
  for (let d = 1; d <= Math.floor(r / 2); d++) {
    c.add((i + d) % n);
    c.add((i - d + n) % n);
  }
  if (r % 2 === 1) c.add((i + n / 2) % n);
  return [...c];
}

async function scenarioPresence(pool, ports) {
  const N = cfg.users;
  const R = cfg.roster;
  if (!(R >= 1 && R <= N - 1) || (R % 2 === 1 && N % 2 === 1))
    throw new Error(`--roster ${R} does not fit --users ${N}: need 1 ≤ R < N, and R even when N is odd`);
  say(
    `presence: ${N} users, ${R} contacts each (both), ${cfg.samples} fan-out samples, then ${cfg.duration} s of updates (+${cfg.warmup} s warm-up), edges ${ports.join(',')}${ports.length > 1 ? ' (users alternate between edges)' : ''}`,
  );
  if (pool.size > 1) say('  (all presence users run in worker 1: a fan-out sample needs the sender and all its contacts on one clock)');
  const users = Array.from({ length: N }, (_, i) => userName(i + 1));
  const registration = await register(pool, users, ports);
  const list = users.map((user, i) => ({ user, port: ports[i % ports.length], contacts: ringContacts(i, N, R) }));
  if (list.some((u) => u.contacts.length !== R)) throw new Error('contact ring does not give every user R contacts');
  const t0 = performance.now();
  const setup = await pool.call(0, 'presenceSetup', { users: list });
  setup.seconds = round((performance.now() - t0) / 1000, 2);
  say(
    `  set up in ${setup.seconds} s (ms: ${Object.entries(setup.times)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}): ${setup.online} online, ${setup.preapprovals} pre-approvals${setup.preapprovalsPushed ? '' : ' (not pushed: requests approved as they came)'} + ${setup.subscribes} subscribes, ${setup.pushes} roster pushes, ${setup.subscribedReceived} 'subscribed' received`,
  );
  say(
    `  roster check: ${setup.rosterOk}/${setup.online} users have exactly their ${R} contacts, all subscription both${setup.rosterBad.length ? ' — e.g. ' + setup.rosterBad.join('; ') : ''}`,
  );
  if (Object.keys(setup.unexpected).length) say(`  unexpected during setup: ${JSON.stringify(setup.unexpected)}`);

  // Fan-out latency, one update at a time on an otherwise idle server.
  const fan = await pool.call(0, 'presenceFanout', { samples: cfg.samples, timeoutMs: cfg.timeout * 1000 });
  const fanout = {
    samples: fan.all.length,
    timeouts: fan.timeouts,
    missingInTimeouts: fan.missing,
    duplicates: fan.duplicates,
    allContactsMs: percentiles([fan.all]),
    firstContactMs: percentiles([fan.first]),
    echoMs: percentiles([fan.echo]),
  };
  const fa = fanout.allContactsMs;
  say(
    `  fan-out to ${R} contacts, ${fanout.samples} samples: all contacts p50 ${fa.p50} p95 ${fa.p95} p99 ${fa.p99} max ${fa.max} ms; first contact p50 ${fanout.firstContactMs.p50} ms; own echo p50 ${fanout.echoMs.p50} ms${fan.timeouts ? `; ${fan.timeouts} samples timed out (${fan.missing} deliveries missing)` : ''}${fan.duplicates ? `; ${fan.duplicates} duplicates` : ''}`,
  );

  // Throughput: every user sends updates, the next after its own echo.
  await sleep(200);
  const rssBefore = snapshotRss();
  const warmupMs = cfg.warmup * 1000;
  const durationMs = cfg.duration * 1000;
  const { r: run, cpu, rssAfter } = await measured(pool.call(0, 'presenceRun', { warmupMs, durationMs, drainMs: cfg.drain * 1000 }), warmupMs, durationMs);
  await pool.call(0, 'presenceClose');
  const lat = percentiles([run.latencies]);
  const echoLat = percentiles([run.echoLatencies]);
  const res = {
    users: N,
    roster: R,
    crossEdge: ports.length > 1,
    setup,
    fanout,
    deliveredPerSecond: round(run.deliveredInWindow / cfg.duration, 0),
    updatesPerSecond: round(run.sentInWindow / cfg.duration, 0),
    deliveredInWindow: run.deliveredInWindow,
    updatesInWindow: run.sentInWindow,
    deliveryLatencyMs: lat,
    echoLatencyMs: echoLat,
    updatesSent: run.sent,
    expected: run.expected,
    delivered: run.delivered,
    lost: run.expected - run.delivered,
    outOfOrder: run.outOfOrder,
    duplicates: run.duplicates,
    echoMissing: run.echoMissing,
    drainedMs: round(run.drainedMs, 0),
    unexpected: run.unexpected,
    examples: run.examples,
    streamErrors: run.streamErrors,
    connectionsClosed: run.closed,
    generatorElu: [round(run.elu, 2)],
    registration,
    cpu,
    cpuUsPerDelivered: perOp(cpu, run.deliveredInWindow, 'µs'),
    cpuUsPerUpdate: perOp(cpu, run.sentInWindow, 'µs'),
    rssBeforeKiB: rssBefore,
    rssAfterKiB: rssAfter,
  };
  say(`  updates sent/s ${res.updatesPerSecond}, presences delivered to contacts/s ${res.deliveredPerSecond} (${res.deliveredInWindow} in ${cfg.duration} s)`);
  say(`  delivery latency ms p50 ${lat.p50} p95 ${lat.p95} p99 ${lat.p99} max ${lat.max}; own echo p50 ${echoLat.p50} p99 ${echoLat.p99}`);
  say(
    `  sent ${res.updatesSent} updates, expected ${res.expected} deliveries, received ${res.delivered}, lost ${res.lost} (drain ${res.drainedMs} ms), out of order ${res.outOfOrder}, duplicates ${res.duplicates}, echoes missing ${res.echoMissing}, stream errors ${res.streamErrors}, connections closed ${res.connectionsClosed}`,
  );
  if (Object.keys(run.unexpected).length) say(`  unexpected stanzas (whole scenario): ${JSON.stringify(run.unexpected)}`);
  if (cfg.verbose) for (const [k, v] of Object.entries(run.examples)) say(`  example, ${k}: ${v}`);
  say(`  generator event-loop utilisation: ${res.generatorElu.join(', ')}`);
  if (cpu)
    say(
      `  CPU in window: ${fmtCpu(cpu)}\n  CPU per delivered presence: ${fmtPerOp(res.cpuUsPerDelivered, 'µs')}\n  CPU per update: ${fmtPerOp(res.cpuUsPerUpdate, 'µs')}`,
    );
  if (procs.length) say(`  RSS before: ${fmtRss(rssBefore)}\n  RSS after:  ${fmtRss(rssAfter)}`);
  return res;
}

/** The presence storm (issue 11): all users of full mutual rosters log in at once; 0 missing is the requirement. */
async function scenarioStorm(pool, ports) {
  const N = cfg.users;
  const R = cfg.roster;
  if (!(R >= 1 && R <= N - 1) || (R % 2 === 1 && N % 2 === 1))
    throw new Error(`--roster ${R} does not fit --users ${N}: need 1 ≤ R < N, and R even when N is odd`);
  say(`storm: ${N} users, ${R} contacts each (both), ${cfg.rounds} rounds of all out then all in at once, edges ${ports.join(',')}`);
  const users = Array.from({ length: N }, (_, i) => userName(i + 1));
  const registration = await register(pool, users, ports);
  const list = users.map((user, i) => ({ user, port: ports[i % ports.length], contacts: ringContacts(i, N, R) }));
  const setup = await pool.call(0, 'presenceSetup', { users: list });
  say(`  roster check: ${setup.rosterOk}/${setup.online} users have exactly their ${R} contacts, all subscription both`);
  const waitS = num(args.timeout, 10);
  const rounds = await pool.call(0, 'storm', { rounds: cfg.rounds, timeoutMs: waitS * 1000 });
  await pool.call(0, 'presenceClose');
  rounds.forEach((r, i) =>
    say(
      `  round ${i + 1}: ${r.missing} of ${r.expected} contact presences missing after ${waitS} s${r.loginErrors ? ` (${r.loginErrors} logins failed)` : ''}; all arrived p50 ${r.allArrivedMs.p50} ms, max ${r.allArrivedMs.max ?? '—'} ms`,
    ),
  );
  const missing = rounds.reduce((n, r) => n + r.missing, 0);
  say(`  missing in all rounds: ${missing} (must be 0)`);
  return { users: N, roster: R, registration, rosterOk: setup.rosterOk, rounds, missing };
}

/**
 * RSS of every process, after a forced full GC in each node service we
 * started (SIGUSR2 → lib/server-preload.cjs), plus their V8 heapUsed+external.
 */
async function memorySnapshot() {
  const heapKiB = {};
  let gc = false;
  if (memDir) {
    const nodes = procs.filter((p) => p.node);
    await Promise.all(
      nodes.map(async (p) => {
        const file = join(memDir, `mem.${p.pid}.json`);
        rmSync(file, { force: true });
        try {
          process.kill(p.pid, 'SIGUSR2');
        } catch {
          return;
        }
        for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(50);
        try {
          const m = JSON.parse(readFileSync(file, 'utf8'));
          heapKiB[p.name] = Math.round((m.heapUsed + m.external) / 1024);
        } catch {
          /* no answer */
        }
      }),
    );
    gc = Object.keys(heapKiB).length === nodes.length;
  }
  return { gc, rssKiB: snapshotRss(), heapKiB };
}

// ------------------------------------------------------------------ main

let stack = null;
let dataDir = null;
let memDir = null;
let pool = null;
const serverLog = { warnings: {}, lines: [] };
const serverExits = [];
let stopping = false;
/** Processes the run stops on purpose (mam restarts the routers). */
const expectedExits = new Set();

async function cleanup() {
  stopping = true;
  if (pool) await pool.terminate().catch(() => {});
  pool = null;
  if (stack) await stack.stop().catch(() => {});
  stack = null;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
  memDir = null;
}

process.on('SIGINT', () => {
  say('\ninterrupted, stopping');
  cleanup().finally(() => process.exit(130));
});

async function main() {
  const result = { config: { ...cfg }, machine: { cpus: cores, cpuModel: cpus()[0]?.model, node: process.version } };
  let ports = cfg.ports;
  let wsPorts = cfg.wsPorts;
  if (!ports) {
    const root = new URL('../..', import.meta.url).pathname;
    for (const a of ['auth', 'session', 'router', 'edge', 'upload']) {
      if (!existsSync(join(root, 'dist/apps', a, 'main.cjs')))
        throw new Error(`dist/apps/${a}/main.cjs missing: build the apps first (node tools/scripts/build-app.mjs ${a})`);
    }
    const { startStack } = await import('../scripts/stack.mjs');
    dataDir = mkdtempSync(join(tmpdir(), 'cx-bench-'));
    const t0 = performance.now();
    if (cfg.cpuProf) mkdirSync(resolve(cfg.cpuProf), { recursive: true });
    memDir = join(dataDir, 'bench-mem');
    mkdirSync(memDir);
    stack = await startStack({
      dataDir,
      edges: cfg.edges,
      env: {
        REGISTRATION_OPEN: 'true',
        // The benchmark registers and logs in without TLS (loopback), which this allows.
        ALLOW_PLAINTEXT_AUTH: 'true',
        LOG_LEVEL: 'warn',
        SHAPER_BYTES_PER_SEC: String(cfg.shaper),
        // hooks for forced GC before memory figures, and --cpu-prof (see the file)
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${new URL('./lib/server-preload.cjs', import.meta.url).pathname}`.trim(),
        BENCH_MEM_DIR: memDir,
        // upload: room for the files, no quota in the way.
        UPLOAD_MAX_FILE_SIZE: String(Math.max(104857600, Math.ceil(cfg.fileMb * 1024 * 1024))),
        UPLOAD_QUOTA_BYTES: '0',
        ...(cfg.cpuProf ? { BENCH_CPU_PROF_DIR: resolve(cfg.cpuProf) } : {}),
      },
      onLine: (name, line) => {
        if (cfg.verbose) process.stderr.write(`[${name}] ${line}\n`);
        if (/\[(INF|DBG|TRC)\]/.test(line)) return; // nats-server chatter
        serverLog.warnings[name] = (serverLog.warnings[name] ?? 0) + 1;
        if (serverLog.lines.length < 20) serverLog.lines.push(`[${name}] ${line.slice(0, 300)}`);
      },
    });
    ports = stack.edgePorts;
    wsPorts = stack.wsPorts;
    let e = 0;
    procs = [
      { name: 'nats', pid: stack.nats.child.pid },
      ...stack.procs.map((p) => ({ name: p.name === 'edge' ? `edge-${++e}` : p.name, pid: p.child.pid, node: true })),
    ];
    for (const [name, child] of [['nats', stack.nats.child], ...stack.procs.map((p) => [p.name, p.child])]) {
      child.once('exit', (code, signal) => {
        if (stopping || expectedExits.has(child.pid)) return;
        const m = `${name} (pid ${child.pid}) exited during the run: code ${code} signal ${signal}`;
        serverExits.push(m);
        say(`!! ${m}`);
      });
    }
    say(`stack up in ${round((performance.now() - t0) / 1000, 2)} s: edges on ${ports.join(', ')} (data in ${dataDir})`);
  } else if (args.pids) {
    procs = String(args.pids)
      .split(',')
      .map((s) => s.split('='))
      .map(([name, pid]) => ({ name, pid: Number(pid) }));
  }
  procs.push({ name: 'bench', pid: process.pid });
  result.pids = Object.fromEntries(procs.map((p) => [p.name, p.pid]));
  result.rssStartKiB = snapshotRss();
  if (procs.length > 1) say(`RSS at start: ${fmtRss(result.rssStartKiB)}`);
  const cpuStart = snapshotCpu();

  pool = new Pool(cfg.workers, { host: cfg.host, domain: cfg.domain, password: cfg.password, timeoutMs: cfg.timeout * 1000 });
  const sc = cfg.scenario;
  if (sc === 'login' || sc === 'all') result.login = await scenarioLogin(pool, ports);
  if (sc === 'messages' || sc === 'all') result.messages = await scenarioMessages(pool, ports);
  if (sc === 'idle') result.idle = await runIdle(pool, ports, wsPorts);
  if (sc === 'presence') result.presence = await scenarioPresence(pool, ports);
  if (sc === 'storm') result.storm = await scenarioStorm(pool, ports);
  if (sc === 'mam') result.mam = await scenarioMam(pool, ports);
  if (sc === 'muc')
    result.muc = await scenarioMuc(pool, ports, {
      say,
      cfg,
      register,
      measured,
      memorySnapshot,
      snapshotCpu,
      cpuDelta,
      percentiles,
      perOp,
      fmtCpu,
      fmtPerOp,
      fmtRss,
      procs,
      round,
      userName,
      sleep,
    });

  if (sc === 'upload')
    result.upload = await scenarioUpload(pool, ports, { say, cfg, round, register, procs, rssKiB, memorySnapshot, snapshotCpu, cpuDelta, fmtCpu, userName });

  await sleep(300);
  result.rssEndKiB = snapshotRss();
  result.cpuWholeRun = cpuDelta(cpuStart, snapshotCpu());
  if (procs.length > 1) {
    say(`RSS at end: ${fmtRss(result.rssEndKiB)}`);
    say(`CPU over the whole run: ${fmtCpu(result.cpuWholeRun)}`);
  }
  if (serverExits.length) result.serverExits = serverExits;
  if (stack) {
    result.serverLogLines = serverLog.warnings;
    if (Object.keys(serverLog.warnings).length) {
      say(`server log lines at warn level or above: ${JSON.stringify(serverLog.warnings)}`);
      for (const l of serverLog.lines.slice(0, 5)) say(`  ${l}`);
    }
  }
  const pidNames = new Map(procs.map((p) => [p.pid, p.name]));
  await cleanup();
  if (cfg.cpuProf) {
    const { summariseDir } = await import('./lib/profile.mjs');
    const want = new Set([...pidNames.keys()].map(String));
    result.profiles = summariseDir(resolve(cfg.cpuProf), 12)
      .map((p) => ({ ...p, pid: /^CPU\.(\d+)\.cpuprofile$/.exec(p.file)?.[1] }))
      .filter((p) => want.has(p.pid))
      .map((p) => ({ service: pidNames.get(Number(p.pid)), ...p }));
    for (const p of result.profiles) {
      say(`profile ${p.service} (${p.file}): busy ${p.busySeconds} s of ${p.seconds} s; top self time:`);
      for (const r of p.top) say(`  ${String(r.percentOfBusy).padStart(5)}%  ${r.ms} ms  ${r.fn}`);
    }
  }
  if (cfg.json) process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    for (const l of serverLog.lines) process.stderr.write(`  ${l}\n`);
    await cleanup();
    process.exit(1);
  },
);
