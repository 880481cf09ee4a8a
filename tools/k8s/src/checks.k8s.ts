// The checks themselves must fail on bad input: a broken overlay (unknown
// fields, a wrong type, a Service port no container has, a setting no app
// reads), a kustomization that does not render, bad Dockerfiles.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkDockerfile,
  checkEnv,
  checkExposure,
  checkNamespace,
  checkProbePorts,
  checkSchema,
  checkServicePorts,
  readDockerfile,
  render,
  root,
  type Manifest,
} from './index';

const bad = render('tools/k8s/fixtures/bad-overlay');
const schemas = { auth: { AUTH_GRPC_PORT: {}, GRPC_HOST: {}, XMPP_DOMAIN: {} } };

describe('the manifest checks reject', () => {
  it('unknown fields and wrong types, naming the object', () => {
    const problems = checkSchema([{ label: 'bad', docs: bad }]).join('\n');
    // TypeScript reports the first fault of each branch: one object, one kind of fault at a time.
    expect(problems).toMatch(/Deployment\/session: .*replicaz.* does not exist in type 'DeploymentSpec'/);
    expect(problems).toMatch(/Deployment\/auth: .*protocl.* does not exist in type 'ContainerPort'/);
    expect(problems).toMatch(/Deployment\/auth: .*"terminationGracePeriodSeconds": "thirty".*not assignable to type 'number'/);
  });

  it('unknown kinds and missing required fields', () => {
    const docs = [
      { apiVersion: 'apps/v1', kind: 'Deploymint', metadata: { name: 'x' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'y' }, spec: { ports: [{ name: 'p' }] } },
    ] as Manifest[];
    const problems = checkSchema([{ label: 'made', docs }]).join('\n');
    expect(problems).toMatch(/Deploymint/);
    expect(problems).toMatch(/Service\/y: .*'port' is missing/);
  });

  it('a Service port that is no container port', () => {
    expect(checkServicePorts(bad)).toEqual(['Service/router port grpc: Deployment/router has no container port grpcx']);
  });

  it('a probe on a port the container lacks, and a missing probe', () => {
    const docs = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1 }], readinessProbe: { grpc: { port: 2 } } }] } } },
      },
    ] as unknown as Manifest[];
    expect(checkProbePorts(docs)).toEqual([
      'Deployment/d container c readinessProbe: no container port 2',
      'Deployment/d container c: needs a readiness and a liveness probe',
    ]);
  });

  it('a setting the app does not read, from env or envFrom', () => {
    const problems = checkEnv(bad, schemas);
    expect(problems).toContain('Deployment/auth container auth: AUTH_GRPC_PORTT is not a setting of auth');
    expect(problems).toContain('Deployment/auth container auth: NATS_URL is not a setting of auth');
    expect(problems.some((p) => p.includes('GRPC_HOST'))).toBe(false);
  });

  it('a namespaced object outside the namespace (an autoscaler the kustomization left without one)', () => {
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'edge' } } as Manifest;
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'xmpp' } } as Manifest;
    expect(checkNamespace([...bad, ns, hpa], 'xmpp')).toEqual(["HorizontalPodAutoscaler/edge: in namespace (none: the current context's), not xmpp"]);
  });

  it('a LoadBalancer port that carries plaintext (WebSocket, STARTTLS not required)', () => {
    expect(checkExposure(bad)).toEqual(['Service/edge (LoadBalancer) port ws: Deployment/edge serves plaintext on 5280']);
    const optional = bad.map((d) =>
      d.kind === 'ConfigMap' && d.metadata.name === 'edge-config' ? { ...d, data: { ...(d.data as object), REQUIRE_ENCRYPTION: 'never' } } : d,
    );
    expect(checkExposure(optional)).toContain('Service/edge (LoadBalancer) port c2s: Deployment/edge serves plaintext on 5222');
  });

  it('a kustomization that does not render', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-k8s-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
    expect(() => render(relative(root, dir))).toThrow(/kustomize .*missing\.yaml/);
  });

  it('Dockerfiles: single stage, root user, a missing source, a bundle the build does not make', () => {
    const good = readDockerfile();
    expect(checkDockerfile(good, 'edge')).toEqual([]);
    expect(checkDockerfile(good.replace('USER 1000:1000', 'USER root'), 'edge').join()).toMatch(/USER root/);
    expect(checkDockerfile(good.replace('COPY . .', 'COPY nope.txt .'), 'edge').join()).toMatch(/COPY nope\.txt/);
    expect(checkDockerfile(good, 'nosuchapp').join()).toMatch(/does not produce it/);
    expect(checkDockerfile(good.replace(/FROM \$\{NODE_IMAGE\} AS build[\s\S]*?(?=FROM)/, ''), 'edge').join()).toMatch(/multi-stage/);
    expect(checkDockerfile(good.replace('ENTRYPOINT ["node", "/app/main.cjs"]', 'ENTRYPOINT ["node", "/app/other.cjs"]'), 'edge').join()).toMatch(
      /not node with the bundle/,
    );
  });
});
