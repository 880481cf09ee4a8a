// The dev overlay describes a system that runs: render k8s/overlays/dev,
// start nats-server with its nats.conf and the apps with exactly the
// environment their Deployments give them, and log a client in. Only these
// are changed, all printed by the first test:
// - container ports become free loopback ports (several pods share one host),
//   and Service DNS names (auth:50051, nats://nats:4222) become 127.0.0.1 with
//   the port of the pod behind the Service;
// - volumes become directories: the TLS Secret (xmpp-tls, made by hand in a
//   cluster) is a certificate made here, NATS stores in a temporary directory;
// - the downward API's metadata.name is a made-up pod name.
// The apps get no other variable from this process (not even PATH).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from 'kubernetes-types/core/v1';
import { appOf, load, localEnv, planPorts, render, workloads, type Manifest, type PortPlan, type Workload } from '@cx/k8s-check';
import { authenticate, RawClient, uniqueName } from '@cx/testing';
import { freePort, makeCertificate, natsServerPath, root, stopChild, waitForPort } from '@cx/stack';
import { probe, untilPasses } from './k8s-probes';

const dir = mkdtempSync(join(tmpdir(), 'cx-k8s-dev-'));
const docs = render('k8s/overlays/dev');
const children: ChildProcess[] = [];
const logs: string[] = [];
const remaps: Record<string, Record<string, string>> = {};
let plan: PortPlan;
let cert: { certFile: string; keyFile: string };

const pods = workloads(docs);
const pod = (app: string): Workload => pods.find((w) => w.pod.containers.some((c) => appOf(c.image) === app || c.name === app))!;
const container = (w: Workload): Container => w.pod.containers[0]!;
const mounts = { tls: join(dir, 'tls'), data: join(dir, 'nats'), pid: dir, tmp: dir };

function spawnLogged(name: string, cmd: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (d: Buffer) => logs.push(`${name} ${d.toString().trim()}`));
  children.push(child);
  return child;
}

function envOf(w: Workload, podName: string): Record<string, string> {
  const { env, remapped } = localEnv(docs, w, container(w), plan, { podName, mounts });
  remaps[w.name] = remapped;
  return env;
}

/** Paths the container mounts (store_dir /data, pid_file /var/run/nats) become local directories. */
function localPaths(text: string, c: Container): string {
  let out = text;
  for (const m of c.volumeMounts ?? []) {
    const local = (mounts as Record<string, string>)[m.name];
    if (local) out = out.replace(new RegExp(`${m.mountPath}(?=[/\\s]|$)`, 'gm'), local);
  }
  return out;
}

async function startNats(): Promise<void> {
  const w = pod('nats');
  const conf = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'nats-config') as Manifest & { data: Record<string, string> };
  writeFileSync(join(dir, 'nats.conf'), localPaths(conf.data['nats.conf']!, container(w)));
  const local = plan.pods.get(w.name)!;
  // listen and http name container ports: the flags override them.
  const flags = ['-a', '127.0.0.1', '-p', String(local.get(4222)), '-m', String(local.get(8222))];
  const child = spawnLogged('nats', natsServerPath()!, ['-c', join(dir, 'nats.conf'), ...flags], envOf(w, 'nats-0'));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${logs.join('\n')}`))));
  await Promise.race([untilPasses(container(w).readinessProbe!, container(w), local), exited]);
}

async function startApp(app: string): Promise<void> {
  const w = pod(app);
  spawnLogged(app, process.execPath, [join(root, 'dist/apps', app, 'main.cjs')], envOf(w, `${app}-dev-0`));
}

beforeAll(async () => {
  plan = await planPorts(docs, freePort);
  const made = makeCertificate(join(dir, 'made'));
  if (!made) throw new Error('openssl is needed (npm run setup)');
  cert = made;
  mkdirSync(mounts.tls, { recursive: true });
  copyFileSync(made.certFile, join(mounts.tls, 'tls.crt'));
  copyFileSync(made.keyFile, join(mounts.tls, 'tls.key'));
  await startNats();
  for (const app of ['auth', 'session', 'router', 'edge', 'upload']) await startApp(app);
  for (const app of ['auth', 'session', 'router', 'edge', 'upload']) {
    const w = pod(app);
    await untilPasses(container(w).readinessProbe!, container(w), plan.pods.get(w.name)!);
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(children.slice(1).map((c) => stopChild(c)));
  await stopChild(children[0]!);
  rmSync(dir, { recursive: true, force: true });
  if (process.env.E2E_VERBOSE) console.log(logs.join('\n'));
});

/** xmppctl as the admin Job runs it (k8s/admin), with the dev overlay's ConfigMaps. */
function xmppctl(args: string[]): Promise<{ code: number | null; out: string }> {
  const job = [...load('k8s/admin/xmppctl-job.yaml'), ...docs.filter((d) => d.kind === 'ConfigMap')];
  const w = workloads(job)[0]!;
  const child = spawnLogged('xmppctl', process.execPath, [join(root, 'dist/apps/xmppctl/main.cjs'), ...args], envOf(w, 'xmppctl-1'));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('the dev overlay, run locally', () => {
  it('changes only addresses, ports, mount paths and the pod name', () => {
    const changed = Object.values(remaps).flatMap((r) => Object.keys(r));
    for (const k of changed) expect(k).toMatch(/_PORT$|_ADDR$|^NATS_URL$|_FILE$|^EDGE_ID$|^POD_NAME$/);
    expect(changed).toContain('NATS_URL');
    console.log('k8s-dev remaps', JSON.stringify(remaps, null, 1));
  });

  it('every pod passes its readiness and liveness probes (gRPC health, /readyz, /healthz, NATS /healthz)', async () => {
    for (const w of pods) {
      const c = container(w);
      for (const p of [c.readinessProbe!, c.livenessProbe!]) expect(await probe(p, c, plan.pods.get(w.name)!), `${w.name} ${JSON.stringify(p)}`).toBe(true);
    }
  });

  it('registers an account with the admin Job and logs it in over TLS (SCRAM-SHA-256, bind)', async () => {
    const user = uniqueName('k8s');
    const reg = await xmppctl(['register', user, 'secret']);
    expect(reg.code).toBe(0);
    const edge = pod('edge');
    const tlsPort = plan.pods.get(edge.name)!.get(5223)!;
    await waitForPort(tlsPort);
    const c = await RawClient.connectTls(tlsPort, readFileSync(cert.certFile));
    await c.open();
    expect((await authenticate(c, user, 'secret', 'SCRAM-SHA-256')).name).toBe('success');
    await c.open();
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>k8s</resource></bind></iq>`);
    const bound = await c.element();
    expect(bound.getChild('bind')?.getChildText('jid')).toBe(`${user}@localhost/k8s`);
    c.close();
  });

  it('routes messages, presence and rosters between two users, every service as its own NATS user with no permission refused', async () => {
    const [alice, bob] = [uniqueName('k8sa'), uniqueName('k8sb')];
    for (const u of [alice, bob]) expect((await xmppctl(['register', u, 'secret'])).code).toBe(0);
    const tlsPort = plan.pods.get(pod('edge').name)!.get(5223)!;
    const bound = async (user: string) => {
      const c = await RawClient.connectTls(tlsPort, readFileSync(cert.certFile));
      await c.open();
      expect((await authenticate(c, user, 'secret', 'SCRAM-SHA-256')).name).toBe('success');
      await c.open();
      c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
      const jid = (await c.element()).getChild('bind')!.getChildText('jid')!;
      c.send(`<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`);
      await c.until((el) => el.attrs.id === 'r');
      c.send('<presence/>');
      return { c, jid };
    };
    const a = await bound(alice);
    const b = await bound(bob);
    // alice's deliveries go through the stream xmpp_sm (XEP-0198), read by the edge's consumer.
    a.c.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    const smId = (await a.c.until((el) => el.name === 'enabled')).attrs.id;
    a.c.send(`<presence to='${bob}@localhost' type='subscribe'/>`);
    await b.c.until((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    b.c.send(`<presence to='${alice}@localhost' type='subscribed'/>`);
    await a.c.until((el) => el.name === 'presence' && el.attrs.from === b.jid);
    a.c.send(`<message to='${b.jid}' id='m1' type='chat'><body>hi</body></message>`);
    expect((await b.c.until((el) => el.name === 'message')).getChildText('body')).toBe('hi');
    b.c.send(`<message to='${alice}@localhost' id='m2' type='chat'><body>hello</body></message>`);
    expect((await a.c.until((el) => el.name === 'message')).getChildText('body')).toBe('hello');
    // The connection drops; a message waits in the stream; alice resumes and gets it.
    a.c.destroy();
    b.c.send(`<message to='${a.jid}' id='m3' type='chat'><body>while you were away</body></message>`);
    const r = await RawClient.connectTls(tlsPort, readFileSync(cert.certFile));
    await r.open();
    expect((await authenticate(r, alice, 'secret', 'SCRAM-SHA-256')).name).toBe('success');
    await r.open();
    r.send(`<resume xmlns='urn:xmpp:sm:3' previd='${smId}' h='0'/>`);
    expect((await r.until((el) => el.name === 'resumed' || el.name === 'failed')).name).toBe('resumed');
    expect((await r.until((el) => el.name === 'message' && el.attrs.id === 'm3')).getChildText('body')).toBe('while you were away');
    r.close();
    b.c.close();
    // Offline storage (the router's stream) for a user who is gone.
    expect((await xmppctl(['send', alice, bob, 'later'])).code).toBe(0);
    expect(logs.filter((l) => /Violation/i.test(l))).toEqual([]);
  });

  it('uploads a file (XEP-0363): a slot from the router, the PUT and GET through the upload pod, as its own NATS user', async () => {
    const user = uniqueName('k8su');
    expect((await xmppctl(['register', user, 'secret'])).code).toBe(0);
    const c = await RawClient.connectTls(plan.pods.get(pod('edge').name)!.get(5223)!, readFileSync(cert.certFile));
    await c.open();
    expect((await authenticate(c, user, 'secret', 'SCRAM-SHA-256')).name).toBe('success');
    await c.open();
    c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await c.until((el) => el.attrs.id === 'b');
    c.send(`<iq type='get' id='s' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='k8s.txt' size='5' content-type='text/plain'/></iq>`);
    const slot = (await c.until((el) => el.attrs.id === 's')).getChild('slot');
    c.close();
    // The slot names UPLOAD_PUBLIC_URL (the cluster's address); here the upload pod listens on a local port.
    const local = (url: string) => url.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${plan.pods.get(pod('upload').name)!.get(5290)}`);
    const put = await fetch(local(slot!.getChild('put')!.attrs.url!), { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(201);
    expect(await (await fetch(local(slot!.getChild('get')!.attrs.url!))).text()).toBe('hello');
    expect(logs.filter((l) => /Violation/i.test(l))).toEqual([]);
  });

  it('without NATS the services are not ready, but alive (liveness passes)', async () => {
    await stopChild(children[0]!);
    for (const app of ['auth', 'session', 'router', 'edge', 'upload']) {
      const w = pod(app);
      const c = container(w);
      const local = plan.pods.get(w.name)!;
      await expect.poll(() => probe(c.readinessProbe!, c, local), { timeout: 10_000 }).toBe(false);
      expect(await probe(c.livenessProbe!, c, local), app).toBe(true);
    }
  });
});
