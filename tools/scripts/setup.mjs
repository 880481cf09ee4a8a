#!/usr/bin/env node
// Idempotent set-up for `npm start`, `npm test` and `npm run bench` on a fresh
// machine with Node 20: npm packages, nats-server, generated code, a build.
// Each step is skipped when already done; a step that cannot be done stops
// with a message saying how to do it by hand.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { natsServerPath, root, turnserverPath } from './stack.mjs';
import { ensureKubectl } from './kubectl.mjs';

// upload: XEP-0363's HTTP side (PUT and GET of uploaded files).
const APPS = ['auth', 'session', 'router', 'edge', 'xmppctl', 'upload'];
const log = (m) => console.log(`[setup] ${m}`);

function fail(message) {
  console.error(`[setup] ${message}`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) fail(`Node ${process.versions.node} is too old: install Node 20.19 or newer.`);
}

function npmInstall() {
  const marker = join(root, 'node_modules/.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && existsSync(join(root, 'node_modules/.bin/esbuild')) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  // `npm ci`: exactly the committed lock file, never rewritten. It lists every
  // platform's optional binaries (esbuild, buf, rollup), so the same tree is
  // installed on Linux, macOS and Windows and a fresh clone stays clean.
  log('npm ci');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('npm ci failed; see above. (After changing package.json, run `npm install` and commit package-lock.json.)');
}

function canRun(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Install a Debian package when `present()` says it is missing (root or password-less sudo). */
function ensurePackage(pkg, present, why) {
  if (present()) return;
  const apt = ['apt-get', '-y', '-qq', 'install', pkg];
  const isRoot = process.getuid?.() === 0;
  const viaSudo = !isRoot && canRun('sudo', ['-n', 'true']);
  if (!canRun('apt-get', ['--version']) || (!isRoot && !viaSudo)) {
    fail(`${pkg} is missing (${why}). Install it (Debian/Ubuntu: \`sudo apt-get install ${pkg}\`) and run this again.`);
  }
  const run = (args) => {
    const [cmd, ...rest] = viaSudo ? ['sudo', '-n', ...args] : args;
    return spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  };
  log(`installing ${pkg} with apt-get`);
  if (!run(apt)) {
    run(['apt-get', '-qq', 'update']);
    if (!run(apt)) fail(`apt-get could not install ${pkg}; install it by hand and run this again.`);
  }
  if (!present()) fail(`${pkg} still not found after installing it.`);
}

/**
 * slapd and ldap-utils for the LDAP backend's tests (the tests start their own
 * slapd); the package's own service is stopped and disabled, so it never holds
 * port 389 or runs unasked.
 */
function ensureSlapd() {
  const present = () => existsSync('/usr/sbin/slapd') && canRun('slappasswd', ['-s', 'x']) && canRun('ldapsearch', ['-VV']);
  if (present()) return;
  ensurePackage('slapd', () => existsSync('/usr/sbin/slapd'), 'the LDAP server the LDAP auth tests start');
  ensurePackage('ldap-utils', present, 'ldapadd/ldapsearch for the LDAP auth tests');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  for (const args of [
    ['invoke-rc.d', 'slapd', 'stop'],
    ['update-rc.d', 'slapd', 'disable'],
    ['systemctl', 'disable', '--now', 'slapd'],
  ]) {
    const [cmd, ...rest] = [...sudo, ...args];
    spawnSync(cmd, rest, { stdio: 'ignore' });
  }
}

/**
 * coturn, the TURN server `npm start` starts for calls (XEP-0215); the
 * package's own service is stopped and disabled (it would hold port 3478
 * with the package's configuration, not ours).
 */
function ensureCoturn() {
  if (turnserverPath()) return;
  ensurePackage('coturn', () => turnserverPath() !== null, 'the TURN server npm start runs so that audio/video calls work (XEP-0215)');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  for (const args of [
    ['invoke-rc.d', 'coturn', 'stop'],
    ['update-rc.d', 'coturn', 'disable'],
    ['systemctl', 'disable', '--now', 'coturn'],
  ]) {
    const [cmd, ...rest] = [...sudo, ...args];
    spawnSync(cmd, rest, { stdio: 'ignore' });
  }
}

function generated() {
  if (existsSync(join(root, 'libs/proto/src/gen/xmpp'))) return;
  log('generating protobuf code (buf + ts-proto)');
  execFileSync(join(root, 'node_modules/.bin/buf'), ['generate'], { cwd: root, stdio: 'inherit' });
}

async function build() {
  const { buildApp } = await import('./build-app.mjs');
  for (const app of APPS) await buildApp(app);
  log(`built ${APPS.join(', ')} into dist/apps`);
}

checkNode();
npmInstall();
ensurePackage('nats-server', () => natsServerPath() !== null, 'the one infrastructure dependency; elsewhere see https://docs.nats.io');
ensurePackage('openssl', () => canRun('openssl', ['version']), 'makes the TLS certificate for npm start and the tests');
ensureCoturn();
// What only the tests need: `npm start` and the benchmark work without it.
if (['test', 'setup', undefined].includes(process.env.npm_lifecycle_event)) {
  ensureSlapd();
  // slixmpp: a client nobody here wrote logs in with its default settings. The Debian
  // package is for the system python, which may not be the first python3 on PATH (pyenv).
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  ensurePackage('python3-slixmpp', () => canRun(python, ['-c', 'import slixmpp']), 'the slixmpp client the e2e suite logs in with (slixmpp.e2e.ts)');
  // slixmpp's HTTP upload (xep_0363) does its PUT with aiohttp, which slixmpp's package does not pull in.
  ensurePackage('python3-aiohttp', () => canRun(python, ['-c', 'import aiohttp']), 'the HTTP client of slixmpp’s xep_0363 plugin (slixmpp-upload.e2e.ts)');
  // And libstrophe (Profanity's library), through a tiny C program the test compiles.
  ensurePackage('gcc', () => canRun('gcc', ['--version']), 'compiles the libstrophe test client (libstrophe.e2e.ts)');
  ensurePackage('pkg-config', () => canRun('pkg-config', ['--version']), 'finds libstrophe for the libstrophe test client');
  ensurePackage('libstrophe-dev', () => canRun('pkg-config', ['--exists', 'libstrophe']), 'the libstrophe test client (libstrophe.e2e.ts)');
  // kubectl: kustomize renders the k8s/ overlays for the manifest check.
  const kubectl = ensureKubectl(log);
  if (kubectl.error) fail(kubectl.error);
}
generated();
await build();
