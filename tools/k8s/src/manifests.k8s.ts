// Every overlay in k8s/overlays and every file in k8s/admin: rendered by
// kustomize, valid against the Kubernetes API types, Service and probe ports
// that exist, environment variables the apps read, images the Dockerfile builds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
/* eslint-disable @nx/enforce-module-boundaries -- the point of this check is the apps' own configuration schemas */
import { authConfig } from '@cx/app-auth/src/config';
import { edgeConfig } from '@cx/app-edge/src/config';
import { routerConfig } from '@cx/app-router/src/config';
import { sessionConfig } from '@cx/app-session/src/config';
import { xmppctlConfig } from '@cx/app-xmppctl/src/config';
import { uploadConfig } from '@cx/app-upload/src/config';
/* eslint-enable @nx/enforce-module-boundaries */
import {
  appOf,
  checkDockerfile,
  checkEnv,
  checkExposure,
  checkNamespace,
  checkProbePorts,
  checkSchema,
  checkServicePorts,
  load,
  readDockerfile,
  render,
  resolveEnv,
  root,
  workloads,
  type Manifest,
} from './index';

const schemas = {
  auth: authConfig.schema,
  edge: edgeConfig.schema,
  router: routerConfig.schema,
  session: sessionConfig.schema,
  xmppctl: xmppctlConfig.schema,
  upload: uploadConfig.schema,
};

const overlays = readdirSync(join(root, 'k8s/overlays')).sort();
const adminFiles = readdirSync(join(root, 'k8s/admin'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `k8s/admin/${f}`);
const rendered = overlays.map((o) => ({ label: `overlays/${o}`, docs: render(`k8s/overlays/${o}`) }));
// The admin files run beside the dev overlay and use its ConfigMaps.
const devConfig = rendered.find((s) => s.label === 'overlays/dev')?.docs.filter((d) => d.kind === 'ConfigMap') ?? [];
const sets: Array<{ label: string; docs: Manifest[] }> = [...rendered, ...adminFiles.map((f) => ({ label: f, docs: [...load(f), ...devConfig] }))];

/** nats-server (installed by `npm run setup`), to validate the NATS configuration. */
function natsServer(): string {
  const found = ['nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server'].find((p) => {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error('nats-server is not installed (npm run setup)');
  return found;
}

describe('the Kubernetes manifests', () => {
  it('has the dev, production and ldap overlays, each rendering objects', () => {
    expect(overlays).toEqual(expect.arrayContaining(['dev', 'ldap', 'production']));
    for (const s of sets) expect(s.docs.length, s.label).toBeGreaterThan(0);
  });

  it('match the Kubernetes API: no unknown fields, no wrong types, known kinds', () => {
    expect(checkSchema(sets)).toEqual([]);
  });

  it.each(sets.map((s) => [s.label, s.docs] as const))('%s: every Service and probe port is a container port', (_l, docs) => {
    expect([...checkServicePorts(docs), ...checkProbePorts(docs)]).toEqual([]);
  });

  it.each(sets.map((s) => [s.label, s.docs] as const))('%s: every environment variable is a setting the app reads', (_l, docs) => {
    expect(checkEnv(docs, schemas)).toEqual([]);
  });

  it.each(rendered.map((s) => [s.label, s.docs] as const))('%s: nats.conf is valid for nats-server', (_l, docs) => {
    const conf = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'nats-config') as { data?: Record<string, string> } | undefined;
    expect(conf?.data?.['nats.conf']).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'cx-natsconf-'));
    try {
      writeFileSync(join(dir, 'nats.conf'), conf!.data!['nats.conf']!);
      // With the environment the StatefulSet gives it (the users' passwords from the Secret nats-users).
      const nats = workloads(docs).find((w) => w.name === 'StatefulSet/nats')!;
      const env = resolveEnv(docs, nats.pod.containers[0]!, { field: () => 'nats-0', secret: () => 'a-password' });
      execFileSync(natsServer(), ['-t', '-c', join(dir, 'nats.conf')], { env: { ...process.env, ...env }, stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(sets.map((s) => [s.label, s.docs] as const))('%s: every namespaced object is in the namespace xmpp', (_l, docs) => {
    expect(checkNamespace(docs, 'xmpp')).toEqual([]);
  });

  it('production: the LoadBalancer exposes only encrypted ports (WebSocket through the TLS Ingress)', () => {
    const prod = rendered.find((s) => s.label === 'overlays/production')!.docs;
    expect(checkExposure(prod)).toEqual([]);
    const ingress = prod.find((d) => d.kind === 'Ingress') as { spec?: { tls?: unknown[] } } | undefined;
    expect(ingress?.spec?.tls?.length).toBeGreaterThan(0);
  });

  it('production: the services use mutual TLS from a mounted Secret, the admin ports a token, NATS a user each', () => {
    const prod = rendered.find((s) => s.label === 'overlays/production')!.docs;
    for (const w of workloads(prod).filter((x) => ['auth', 'session', 'router', 'edge'].includes(appOf(x.pod.containers[0]!.image)))) {
      const c = w.pod.containers[0]!;
      const app = appOf(c.image);
      const env = resolveEnv(prod, c, { field: () => 'pod-0', secret: (name, key) => `${name}/${key}` });
      for (const k of ['GRPC_TLS_CA', 'GRPC_TLS_CERT', 'GRPC_TLS_KEY']) {
        expect(env[k], `${w.name} ${k}`).toBeTruthy();
        expect(
          c.volumeMounts?.some((m) => env[k]!.startsWith(`${m.mountPath}/`)),
          `${w.name} mounts ${env[k]}`,
        ).toBe(true);
      }
      if (app !== 'edge') expect(env.ADMIN_TOKEN, `${w.name} ADMIN_TOKEN`).toBe('xmpp-admin/token');
      expect([env.NATS_USER, env.NATS_PASSWORD], w.name).toEqual([app, `nats-users/${app}`]);
    }
  });

  it('runs only images the Dockerfile builds, and the Dockerfile builds each of them', () => {
    const images = new Set(sets.flatMap((s) => workloads(s.docs).flatMap((w) => w.pod.containers.map((c) => c.image ?? ''))));
    // nats and coturn (components/coturn) are images of their own projects.
    const ours = [...images].filter((i) => !i.startsWith('nats:') && !i.startsWith('coturn/')).map(appOf);
    expect(new Set(ours)).toEqual(new Set(Object.keys(schemas)));
    for (const app of ours) expect(checkDockerfile(readDockerfile(), app), app).toEqual([]);
  });
});
