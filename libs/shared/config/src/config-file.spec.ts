import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonSettings } from './common';
import { loadConfig } from './config-file';
import { bool, ConfigError, defineConfig, int, list } from './define';

const edge = defineConfig({
  ...commonSettings,
  C2S_PORT: int(5222, 'port', 0, 65535),
  OPEN: bool(false, 'open'),
  NAMES: list([], 'names'),
});

const dir = mkdtempSync(join(tmpdir(), 'cx-config-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `c${n++}.yaml`);
  writeFileSync(p, text);
  return p;
}

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  return expect.unreachable('no ConfigError') as never;
}

describe('CONFIG_FILE', () => {
  const doc = `
XMPP_DOMAIN: example.org
METRICS_PORT: 9100
GRPC_HOST: 0.0.0.0        # a shared setting this app does not read: allowed
edge:
  C2S_PORT: 5333
  OPEN: yes
  NAMES: [a, b, 3]
auth:
  REGISTRATION_OPEN: true # another app's section: not this app's business
`;

  it("gives shared settings at the top and the app's own in its section, with YAML types", () => {
    const c = loadConfig(edge, 'edge', { CONFIG_FILE: file(doc) });
    expect(c).toMatchObject({ XMPP_DOMAIN: 'example.org', METRICS_PORT: 9100, C2S_PORT: 5333, OPEN: true, NAMES: ['a', 'b', '3'], LOG_LEVEL: 'info' });
  });

  it('is overridden by environment variables', () => {
    const c = loadConfig(edge, 'edge', { CONFIG_FILE: file(doc), C2S_PORT: '6000', XMPP_DOMAIN: 'env.example' });
    expect(c).toMatchObject({ XMPP_DOMAIN: 'env.example', C2S_PORT: 6000, METRICS_PORT: 9100 });
  });

  it('names a bad value and where it came from', () => {
    const p = problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: file('edge:\n  C2S_PORT: 70000\n') }));
    expect(p).toMatch(/^C2S_PORT: expected an integer from 0 to 65535, got "70000" \(in .*c\d+\.yaml \(edge\)\)$/);
  });

  it('a good environment value hides a bad one in the file', () => {
    expect(loadConfig(edge, 'edge', { CONFIG_FILE: file('edge:\n  C2S_PORT: nope\n'), C2S_PORT: '1' }).C2S_PORT).toBe(1);
  });

  it("refuses typos: unknown keys at the top and in the app's section", () => {
    const p = problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: file('XMPP_DOMIAN: x\nC2S_PORT: 1\nedge:\n  C2S_PRT: 1\n') }));
    expect(p).toContain('XMPP_DOMIAN: unknown setting at the top level');
    expect(p).toContain('C2S_PORT: unknown setting at the top level'); // an app's own setting belongs in its section
    expect(p).toContain('C2S_PRT: unknown edge setting');
  });

  it('refuses values that are not scalars or lists', () => {
    expect(problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: file('edge:\n  C2S_PORT: {a: 1}\n') }))).toContain(
      'C2S_PORT: expected a string, number, boolean or list',
    );
    expect(problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: file('edge: 3\n') }))).toContain('edge: expected a mapping');
    expect(problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: file('- a\n') }))).toContain('must be a mapping');
  });

  it('a key with no value is unset; an empty file is no settings', () => {
    expect(loadConfig(edge, 'edge', { CONFIG_FILE: file('edge:\n  C2S_PORT:\n') }).C2S_PORT).toBe(5222);
    expect(loadConfig(edge, 'edge', { CONFIG_FILE: file('') }).C2S_PORT).toBe(5222);
  });

  it('names CONFIG_FILE when the file is missing or not YAML', () => {
    expect(problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: join(dir, 'missing.yaml') }))).toMatch(/^CONFIG_FILE: cannot read/);
    expect(problems(() => loadConfig(edge, 'edge', { CONFIG_FILE: file('edge: [unclosed\n') }))).toMatch(/^CONFIG_FILE: .* is not valid YAML/);
  });
});
