import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { makeCertificate, startStack } from '@cx/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    edgePorts: number[];
    tlsPorts: number[];
    wsPorts: number[];
    /** The edges' SOCKS5 bytestreams proxies (XEP-0065). */
    proxy65Ports: number[];
    /** coturn's port and shared secret. */
    turn: { port: number; secret: string };
    certFile: string;
    natsUrl: string;
    addrs: { AUTH_ADDR: string; SESSION_ADDR: string; ROUTER_ADDR: string };
    /** xmppctl's addresses (the admin ports) and its ADMIN_TOKEN. */
    adminEnv: { AUTH_ADDR: string; SESSION_ADDR: string; ROUTER_ADDR: string; ADMIN_TOKEN: string; UPLOAD_ADMIN_URL?: string };
    /** The upload service (XEP-0363's HTTP side), as slots name it. */
    uploadUrl: string;
    /** UPLOAD_SECRET, for a test that signs a slot that has expired. */
    uploadSecret: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cx-e2e-'));
  const logs: string[] = [];
  const adminToken = randomBytes(16).toString('hex');
  const uploadSecret = randomBytes(24).toString('hex');
  const cert = makeCertificate(join(dataDir, 'tls'));
  if (!cert) throw new Error('openssl is needed to make the test certificate (apt-get install openssl)');
  // Test workers start after this and trust the test certificate (xmpp.js negotiates STARTTLS by itself).
  process.env.NODE_EXTRA_CA_CERTS = cert.certFile;
  const stack = await startStack({
    dataDir,
    edges: 2,
    routers: 2,
    tls: cert,
    // coturn (XEP-0215, extdisco.e2e.ts): the routers announce it with credentials it must accept.
    turn: {},
    env: {
      REGISTRATION_OPEN: 'true',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      MAX_STANZA_BYTES: '65536',
      AUTH_TIMEOUT_MS: '4000',
      MAX_AUTH_FAILURES_PER_IP: '0',
      ALLOW_PLAINTEXT_AUTH: 'true',
      PING_INTERVAL_MS: '2500',
      PING_TIMEOUT_MS: '2000',
      ADMIN_TOKEN: adminToken,
      PRESENCE_CHANGED_EVENTS: 'true',
      // XEP-0157, for the edges (caps) and the routers (disco#info) alike.
      CONTACT_ADMIN: 'xmpp:admin@localhost,mailto:admin@example.org',
      CONTACT_ABUSE: 'mailto:abuse@example.org',
      // XEP-0363: small bounds so that upload.e2e.ts reaches them quickly.
      UPLOAD_MAX_FILE_SIZE: String(1024 * 1024),
      UPLOAD_QUOTA_BYTES: String(3 * 1024 * 1024),
      UPLOAD_SECRET: uploadSecret,
    },
    onLine: (name: string, line: string) => {
      logs.push(`${name} ${line}`);
      if (process.env.E2E_VERBOSE) console.log(name, line);
    },
  });
  project.provide('edgePorts', stack.edgePorts);
  project.provide('proxy65Ports', stack.proxy65Ports);
  project.provide('turn', { port: stack.turn?.port ?? 0, secret: stack.turn?.routerEnv.TURN_SECRET ?? '' });
  project.provide('tlsPorts', stack.tlsPorts);
  project.provide('wsPorts', stack.wsPorts);
  project.provide('certFile', cert.certFile);
  project.provide('natsUrl', stack.nats.url);
  project.provide('addrs', stack.addrs);
  project.provide('uploadUrl', stack.uploadUrl);
  project.provide('uploadSecret', uploadSecret);
  project.provide('adminEnv', { ...stack.adminAddrs, UPLOAD_ADMIN_URL: stack.uploadAdminUrl, ADMIN_TOKEN: adminToken });
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    const bad = logs.filter((l) => /"level":"(error|fatal)"|panic|Uncaught|TypeError/.test(l));
    if (bad.length) console.error(`server errors during e2e:\n${bad.join('\n')}`);
  };
}
