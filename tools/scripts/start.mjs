#!/usr/bin/env node
// `npm start`: nats-server (JetStream, data in var/nats) and the four services
// as separate processes on localhost, with open registration. Ctrl-C stops all.
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { makeCertificate, root, startStack } from './stack.mjs';

const env = (k, d) => process.env[k] ?? d;
const natsPort = Number(env('NATS_PORT', 4222));
const c2sPort = Number(env('C2S_PORT', 5222));
const ports = { auth: 50051, session: 50052, router: 50053, authAdmin: 50061, sessionAdmin: 50062, routerAdmin: 50063 };
// XEP-0363's HTTP side (apps/upload): uploads and downloads, and its admin calls (xmppctl).
ports.upload = Number(env('UPLOAD_PORT', 5290));
ports.uploadAdmin = Number(env('UPLOAD_ADMIN_PORT', 5291));

function busy(port) {
  return new Promise((resolve) => {
    const c = createConnection(port, '127.0.0.1');
    c.on('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

for (const [what, port] of [
  ['NATS', natsPort],
  ['c2s', c2sPort],
  ['c2s TLS', Number(env('C2S_TLS_PORT', 5223))],
  ['WebSocket', Number(env('WS_PORT', 5280))],
  ['SOCKS5 proxy', Number(env('PROXY65_PORT', 7777))],
  ['TURN', Number(env('TURN_PORT', 3478))],
  ...(env('COMPONENTS', '') ? [['component', Number(env('COMPONENT_PORT', 5347))]] : []),
  ['auth', ports.auth],
  ['session', ports.session],
  ['router', ports.router],
  ['auth admin', ports.authAdmin],
  ['session admin', ports.sessionAdmin],
  ['router admin', ports.routerAdmin],
  ['upload', ports.upload],
  ['upload admin', ports.uploadAdmin],
]) {
  if (await busy(port)) {
    console.error(`Port ${port} (${what}) is already in use: is the server already running? Stop it, or set NATS_PORT / C2S_PORT.`);
    process.exit(1);
  }
}

const pretty = process.stdout.isTTY && !process.env.LOG_JSON;
function show(name, line) {
  if (!pretty || !line.startsWith('{')) return console.log(`${name.padEnd(8)}| ${line}`);
  try {
    const { level, msg, time, service, pid, edge, ...rest } = JSON.parse(line);
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    console.log(`${name.padEnd(8)}| ${String(time).slice(11, 23)} ${String(level).padEnd(5)} ${msg}${extra}`);
  } catch {
    console.log(`${name.padEnd(8)}| ${line}`);
  }
}

// A self-signed certificate for STARTTLS and direct TLS (5223), unless one is given.
const tls = process.env.TLS_CERT_FILE
  ? { certFile: process.env.TLS_CERT_FILE, keyFile: process.env.TLS_KEY_FILE ?? '' }
  : makeCertificate(join(root, 'var/tls'), env('XMPP_DOMAIN', 'localhost'));

const stack = await startStack({
  tls: tls ?? undefined,
  dataDir: join(root, 'var/nats'),
  natsPort,
  c2sPorts: [c2sPort],
  c2sTlsPorts: [Number(env('C2S_TLS_PORT', 5223))],
  wsPorts: [Number(env('WS_PORT', 5280))],
  proxy65Ports: [Number(env('PROXY65_PORT', 7777))],
  componentPorts: [Number(env('COMPONENT_PORT', 5347))],
  grpcPorts: ports,
  // coturn for calls (XEP-0215); the secret is new at every start (credentials last TURN_TTL_S, and both sides restart together).
  turn: process.env.TURN_DISABLED
    ? undefined
    : { port: Number(env('TURN_PORT', 3478)), host: env('TURN_HOST', '127.0.0.1'), secret: process.env.TURN_SECRET, dataDir: join(root, 'var/turn') },
  detached: true,
  env: {
    REGISTRATION_OPEN: env('REGISTRATION_OPEN', 'true'),
    LOG_LEVEL: env('LOG_LEVEL', 'info'),
    XMPP_DOMAIN: env('XMPP_DOMAIN', 'localhost'),
    EDGE_ID: env('EDGE_ID', 'edge-local'),
    // XEP-0114 external components, domain=secret (e.g. COMPONENTS=bot.localhost=s3cret npm start).
    COMPONENTS: env('COMPONENTS', ''),
    // A fresh slot-signing secret each start unless one is set; UPLOAD_PUBLIC_URL when clients reach uploads elsewhere (a proxy).
    ...(process.env.UPLOAD_SECRET ? { UPLOAD_SECRET: process.env.UPLOAD_SECRET } : {}),
    ...(process.env.UPLOAD_PUBLIC_URL ? { UPLOAD_PUBLIC_URL: process.env.UPLOAD_PUBLIC_URL } : {}),
  },
  onLine: (name, line) => ((name === 'nats' && !/\[(ERR|WRN|FTL)\]/.test(line)) || (name === 'turn' && !/ERROR/.test(line)) ? undefined : show(name, line)),
});

const domain = env('XMPP_DOMAIN', 'localhost');
console.log(`
  The XMPP server is running for the domain "${domain}".
    clients:   connect to 127.0.0.1:${stack.edgePorts[0]} (STARTTLS${tls ? '' : ' off: no certificate'})${stack.tlsPorts[0] ? ` or ${stack.tlsPorts[0]} (direct TLS)` : ''}, e.g. with Gajim, Dino, Profanity or xmpp.js
    calls:     ${stack.turn ? `STUN/TURN (coturn) on ${env('TURN_HOST', '127.0.0.1')}:${stack.turn.port}, announced by XEP-0215 with temporary credentials` : 'no TURN server (TURN_DISABLED)'}
    files:     SOCKS5 bytestreams proxy (XEP-0065) proxy.${env('XMPP_DOMAIN', 'localhost')} on 127.0.0.1:${stack.proxy65Ports[0]}
    WebSocket: ws://127.0.0.1:${stack.wsPorts[0]}/xmpp-websocket (RFC 7395; discovery at http://127.0.0.1:${stack.wsPorts[0]}/.well-known/host-meta)
    components: ${
      env('COMPONENTS', '')
        ? `${env('COMPONENTS', '')
            .split(',')
            .map((c) => c.split('=')[0].trim())
            .join(', ')} on 127.0.0.1:${stack.componentPorts[0]} (XEP-0114)`
        : 'none (COMPONENTS=bot.localhost=secret serves one on 127.0.0.1:5347)'
    }
    TLS:       ${tls ? `${tls.certFile} (self-signed unless TLS_CERT_FILE is set: clients will ask you to trust it)` : 'none'}
    accounts:  register in your client (in-band registration is open), or: npm run xmppctl -- register alice secret
    uploads:   ${stack.uploadUrl} (XEP-0363 HTTP File Upload on upload.${domain}; files in the JetStream object store xmpp_upload)
    NATS:      ${stack.nats.url} (JetStream data in var/nats)
  Ctrl-C stops everything.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping...');
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('exit', () => {
  for (const p of [...stack.procs.map((x) => x.child), stack.nats.child, ...(stack.turn ? [stack.turn.child] : [])]) if (p.exitCode === null) p.kill('SIGKILL');
});
process.on('SIGTERM', stop);
for (const p of stack.procs) {
  p.child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${p.name} exited (${signal ?? code}); stopping the rest.`);
      stop();
    }
  });
}
