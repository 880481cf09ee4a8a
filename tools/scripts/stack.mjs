// Start the real parts on loopback: nats-server (JetStream, data in a directory
// of ours) and the four services as separate processes. Used by `npm start`,
// the integration tests and the benchmark.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

/** Ports this process has handed out: the kernel may offer a port again once it is closed. */
const handedOut = new Set();

/** A free TCP port on loopback, never one this process has handed out before. */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = createServer();
      s.unref();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export async function waitForPort(port, timeoutMs = 20000, host = '127.0.0.1') {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = connect(port, host);
      c.on('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function natsServerPath() {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {
      /* next */
    }
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function pipeLines(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/**
 * A self-signed certificate for `domain` made with openssl (for tests and
 * `npm start`); returns the file paths, or null when openssl is missing.
 */
export function makeCertificate(dir, domain = 'localhost') {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile }; // keep the one clients already trust
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '825',
        '-subj',
        `/CN=${domain}`,
        '-addext',
        `subjectAltName=DNS:${domain}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    return { certFile, keyFile };
  } catch {
    return null;
  }
}

/**
 * A CA and one certificate signed by it for the services' mutual TLS (gRPC),
 * valid as server and client certificate for 127.0.0.1, localhost and the
 * Kubernetes Service names; returns the env settings GRPC_TLS_CA/CERT/KEY.
 * Throws when openssl is missing.
 */
export function makeGrpcCertificates(dir) {
  mkdirSync(dir, { recursive: true });
  const f = (n) => join(dir, n);
  const run = (...args) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=cloud-xmpp test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  run(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=cloud-xmpp services',
    '-keyout',
    f('tls.key'),
    '-out',
    f('tls.csr'),
  );
  writeFileSync(
    f('ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:auth,DNS:session,DNS:router\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  run(
    'x509',
    '-req',
    '-in',
    f('tls.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('tls.crt'),
  );
  return { GRPC_TLS_CA: f('ca.crt'), GRPC_TLS_CERT: f('tls.crt'), GRPC_TLS_KEY: f('tls.key') };
}

/** Start nats-server with JetStream, storing in dataDir. */
export async function startNats({ dataDir, port, args = [], onLine = () => {}, detached = false }) {
  const bin = natsServerPath();
  if (!bin) throw new Error('nats-server is not installed (run `npm run setup`, or `apt-get install nats-server`)');
  mkdirSync(dataDir, { recursive: true });
  const p = port ?? (await freePort());
  const child = spawn(bin, ['-js', '-sd', dataDir, '-a', '127.0.0.1', '-p', String(p), '-n', `nats-${p}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  pipeLines(child.stdout, onLine);
  pipeLines(child.stderr, onLine);
  await Promise.race([waitForPort(p), new Promise((_, rej) => child.on('exit', (code) => rej(new Error(`nats-server exited with ${code}`))))]);
  return { port: p, url: `nats://127.0.0.1:${p}`, child, stop: () => stopChild(child) };
}

function udpFree(port, host) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host === '0.0.0.0' ? undefined : host, () => s.close(() => resolve(true)));
  });
}

export function turnserverPath() {
  for (const p of ['/usr/bin/turnserver', '/usr/local/bin/turnserver']) if (existsSync(p)) return p;
  return null;
}

/**
 * Start coturn (Debian package coturn) for `domain`: TURN REST credentials
 * (use-auth-secret with `secret`, the router's TURN_SECRET), no TLS, relays
 * in [minPort, maxPort]. Returns the router settings that announce it (XEP-0215).
 */
export async function startTurn({
  dataDir,
  secret,
  port,
  host = '127.0.0.1',
  domain = 'localhost',
  minPort = 49152,
  maxPort = 49407,
  onLine = () => {},
  detached = false,
}) {
  const bin = turnserverPath();
  if (!bin) throw new Error('turnserver is not installed (run `npm run setup`, or `apt-get install coturn`)');
  mkdirSync(dataDir, { recursive: true });
  // TURN listens on UDP as well as TCP: the port must be free for both.
  let p = port;
  while (p === undefined) {
    const candidate = await freePort();
    if (await udpFree(candidate, host)) p = candidate;
  }
  // The secret goes in a file only we can read, not on the command line (ps shows that to every user).
  const conf = join(dataDir, 'turnserver.conf');
  writeFileSync(conf, `static-auth-secret=${secret}\n`, { mode: 0o600 });
  chmodSync(conf, 0o600);
  const child = spawn(
    bin,
    [
      '-c',
      conf,
      `--listening-ip=${host}`,
      `--listening-port=${p}`,
      '--use-auth-secret',
      `--realm=${domain}`,
      `--min-port=${minPort}`,
      `--max-port=${maxPort}`,
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--fingerprint',
      '--no-software-attribute',
      '--log-file=stdout',
      '--simple-log',
      `--db=${join(dataDir, 'turndb')}`,
      `--pidfile=${join(dataDir, 'turnserver.pid')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached },
  );
  pipeLines(child.stdout, onLine);
  pipeLines(child.stderr, onLine);
  await Promise.race([waitForPort(p, 20000, host), new Promise((_, rej) => child.on('exit', (code) => rej(new Error(`turnserver exited with ${code}`))))]);
  const announced = host === '0.0.0.0' ? domain : host;
  return {
    port: p,
    child,
    stop: () => stopChild(child),
    routerEnv: {
      EXTDISCO_SERVICES: [`stun:${announced}:${p}:udp`, `turn:${announced}:${p}:udp`, `turn:${announced}:${p}:tcp`].join(','),
      TURN_SECRET: secret,
    },
  };
}

/** Start one built app (dist/apps/<name>/main.cjs) with env. */
export function startApp(name, env, { onLine = () => {}, detached = false } = {}) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', name, 'main.cjs')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // detached: a terminal's Ctrl-C reaches only the parent, which stops the
    // services before NATS.
    detached,
  });
  pipeLines(child.stdout, onLine);
  pipeLines(child.stderr, onLine);
  return { name, child, stop: (signal = 'SIGTERM') => stopChild(child, signal) };
}

export function stopChild(child, signal = 'SIGTERM', timeoutMs = 8000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * The whole server: NATS, auth, session, router and `edges` edge processes, each
 * on free ports unless given. Resolves when every edge accepts connections.
 * A start that fails (a port taken between the moment it was found free and
 * the moment a service binds it, by an outgoing connection of another
 * process, say) is stopped and tried once more on other ports; the error says
 * which process exited and its last lines.
 */
export async function startStack(opts = {}) {
  try {
    return await startStackOnce(opts);
  } catch (err) {
    (opts.onLine ?? (() => {}))('stack', `the stack did not start (${err.message}); trying once more`);
    return startStackOnce(opts);
  }
}

async function startStackOnce({
  dataDir,
  edges = 1,
  routers = 1,
  tls,
  env = {},
  natsPort,
  c2sPorts = [],
  c2sTlsPorts = [],
  wsPorts: fixedWsPorts = [],
  proxy65Ports: fixedProxy65Ports = [],
  componentPorts: fixedComponentPorts = [],
  grpcPorts = {},
  metrics = false,
  turn,
  onLine = () => {},
  detached = false,
} = {}) {
  const nats = await startNats({ dataDir: dataDir ?? join(root, 'var/nats'), port: natsPort, onLine: (l) => onLine('nats', l), detached });
  // coturn for XEP-0215 (the routers announce it, with credentials made with the same secret).
  const turnServer = turn
    ? await startTurn({
        dataDir: turn.dataDir ?? join(dataDir ?? join(root, 'var/nats'), 'turn'),
        secret: turn.secret ?? randomBytes(24).toString('base64url'),
        port: turn.port,
        host: turn.host,
        domain: env.XMPP_DOMAIN ?? 'localhost',
        onLine: (l) => onLine('turn', l),
        detached,
      }).catch(async (err) => {
        await nats.stop();
        throw err;
      })
    : undefined;
  const authPort = grpcPorts.auth ?? (await freePort());
  const sessionPort = grpcPorts.session ?? (await freePort());
  const routerPorts = [grpcPorts.router ?? (await freePort())];
  for (let i = 1; i < routers; i++) routerPorts.push(await freePort());
  // Admin calls (xmppctl) have ports of their own.
  const authAdmin = grpcPorts.authAdmin ?? (await freePort());
  const sessionAdmin = grpcPorts.sessionAdmin ?? (await freePort());
  const routerAdmins = [grpcPorts.routerAdmin ?? (await freePort())];
  for (let i = 1; i < routers; i++) routerAdmins.push(await freePort());
  const common = { NATS_URL: nats.url, XMPP_DOMAIN: 'localhost', LOG_LEVEL: 'info', ...env };
  // XEP-0363: the routers sign slots with the secret the upload service checks them with, for its URL.
  const uploadPort = grpcPorts.upload ?? (await freePort());
  const uploadAdminPort = grpcPorts.uploadAdmin ?? (await freePort());
  const uploadUrl = `http://127.0.0.1:${uploadPort}`;
  Object.assign(common, { UPLOAD_SECRET: randomBytes(24).toString('hex'), UPLOAD_PUBLIC_URL: uploadUrl, ...env });
  const procs = [];
  // What a process that exits while the stack starts said last (for the error).
  const exited = [];
  // metrics: each process gets a METRICS_PORT of its own (p.metricsPort; kept on restart).
  const app = async (name, e) => {
    const metricsPort = metrics ? await freePort() : undefined;
    if (metricsPort) e = { ...e, METRICS_PORT: String(metricsPort) };
    const last = [];
    const p = startApp(
      name,
      { ...common, ...e },
      {
        onLine: (l) => {
          last.push(l);
          if (last.length > 5) last.shift();
          onLine(name, l);
        },
        detached,
      },
    );
    p.child.once('exit', (code, signal) => exited.push(`${name} exited (${signal ?? code}): ${last.join(' | ')}`));
    p.env = { ...common, ...e };
    p.metricsPort = metricsPort;
    procs.push(p);
    return p;
  };
  await app('auth', { AUTH_GRPC_PORT: String(authPort), AUTH_ADMIN_PORT: String(authAdmin) });
  await app('session', { SESSION_GRPC_PORT: String(sessionPort), SESSION_ADMIN_PORT: String(sessionAdmin) });
  for (const [i, port] of routerPorts.entries())
    await app('router', {
      ROUTER_GRPC_PORT: String(port),
      ROUTER_ADMIN_PORT: String(routerAdmins[i]),
      SESSION_ADDR: `127.0.0.1:${sessionPort}`,
      SESSION_ADMIN_ADDR: `127.0.0.1:${sessionAdmin}`,
      AUTH_ADDR: `127.0.0.1:${authPort}`,
      ...(turnServer?.routerEnv ?? {}),
    });
  await app('upload', { UPLOAD_PORT: String(uploadPort), UPLOAD_ADMIN_PORT: String(uploadAdminPort) });
  const adminAddrs = { AUTH_ADDR: `127.0.0.1:${authAdmin}`, SESSION_ADDR: `127.0.0.1:${sessionAdmin}`, ROUTER_ADDR: `127.0.0.1:${routerAdmins[0]}` };
  // xmppctl's upload-files and delete-upload-files (HTTP, not one of the gRPC admin addresses).
  const uploadAdminUrl = `http://127.0.0.1:${uploadAdminPort}`;
  const addrs = { AUTH_ADDR: `127.0.0.1:${authPort}`, SESSION_ADDR: `127.0.0.1:${sessionPort}`, ROUTER_ADDR: `127.0.0.1:${routerPorts[0]}` };
  const edgePorts = [];
  const tlsPorts = [];
  const wsPorts = [];
  const proxy65Ports = [];
  const componentPorts = [];
  const edgeProcs = [];
  for (let i = 0; i < edges; i++) {
    const port = c2sPorts[i] ?? (await freePort());
    edgePorts.push(port);
    // With several routers, edge i talks to router i (mod n): stanzas between edges cross router replicas.
    const routerAddr = `127.0.0.1:${routerPorts[i % routerPorts.length]}`;
    const tlsEnv = {};
    if (tls) {
      const tlsPort = c2sTlsPorts[i] ?? (await freePort());
      tlsPorts.push(tlsPort);
      Object.assign(tlsEnv, { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile, C2S_TLS_PORT: String(tlsPort) });
    }
    const wsPort = fixedWsPorts[i] ?? (await freePort());
    wsPorts.push(wsPort);
    // XEP-0065: each edge's SOCKS5 proxy listens on a port of its own.
    const proxy65Port = fixedProxy65Ports[i] ?? (await freePort());
    proxy65Ports.push(proxy65Port);
    // Each edge its own component port (XEP-0114; only listened on when COMPONENTS names one).
    const componentPort = fixedComponentPorts[i] ?? (await freePort());
    componentPorts.push(componentPort);
    edgeProcs.push(
      await app('edge', {
        ...addrs,
        ...tlsEnv,
        WS_PORT: String(wsPort),
        PROXY65_PORT: String(proxy65Port),
        COMPONENT_PORT: String(componentPort),
        ROUTER_ADDR: routerAddr,
        C2S_PORT: String(port),
        EDGE_ID: `edge-${i + 1}-${port}`,
      }),
    );
  }
  try {
    const components = (common.COMPONENTS ?? process.env.COMPONENTS ?? '') !== '' ? componentPorts : [];
    await Promise.all([...edgePorts, ...tlsPorts, ...wsPorts, ...proxy65Ports, ...components, uploadPort].map((p) => waitForPort(p, 30000)));
  } catch (err) {
    const early = exited.slice();
    // A service that did not come up must not leave the others (and NATS) running.
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
    await turnServer?.stop().catch(() => undefined);
    await nats.stop().catch(() => undefined);
    throw early.length ? new Error(`${err.message}; ${early.join('; ')}`) : err;
  }
  return {
    nats,
    edgePorts,
    tlsPorts,
    wsPorts,
    proxy65Ports,
    turn: turnServer,
    componentPorts,
    uploadUrl,
    uploadAdminUrl,
    edges: edgeProcs,
    procs,
    addrs,
    adminAddrs,
    env: common,
    /** Start a stopped or killed process again with the same settings. */
    restart(p) {
      const i = procs.indexOf(p);
      const fresh = startApp(p.name, p.env, { onLine: (l) => onLine(p.name, l) });
      fresh.env = p.env;
      fresh.metricsPort = p.metricsPort;
      procs[i] = fresh;
      const e = edgeProcs.indexOf(p);
      if (e >= 0) edgeProcs[e] = fresh;
      return fresh;
    },
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
      await turnServer?.stop();
      await nats.stop();
    },
  };
}
