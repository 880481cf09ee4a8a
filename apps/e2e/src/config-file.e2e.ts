// CONFIG_FILE at process level: a built app reads its settings from one YAML
// file shared by all apps (environment over file), and a wrong value in the
// file stops it before it does anything, with a message naming the setting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { call, createClient } from '@cx/grpc';
import { healthv1 } from '@cx/proto';
import { freePort, startApp, waitForPort } from '@cx/stack';

const dir = mkdtempSync(join(tmpdir(), 'cx-config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Run an app to its exit; its exit code and output. */
function runToExit(app: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  let output = '';
  const p = startApp(app, env, { onLine: (l) => (output += `${l}\n`) });
  return new Promise((resolve) => p.child.once('exit', (code) => setTimeout(() => resolve({ code, output }), 50)));
}

describe('CONFIG_FILE', () => {
  it.each([
    ['router', 'OFFLINE_LIMIT: -5', 'OFFLINE_LIMIT: expected an integer'],
    ['edge', 'C2S_PORT: 70000', 'C2S_PORT: expected an integer from 0 to 65535, got "70000"'],
    ['xmppctl', 'AUTH_ADDR: {host: x}', 'AUTH_ADDR: expected a string, number, boolean or list'],
  ])('%s exits with 78 naming a bad setting in the file', async (app, line, message) => {
    const file = configFile(`bad-${app}.yaml`, `XMPP_DOMAIN: example.org\n${app}:\n  ${line}\n  NO_SUCH_SETTING: 1\n`);
    const { code, output } = await runToExit(app, { CONFIG_FILE: file });
    expect(code).toBe(78);
    expect(output).toContain(message);
    expect(output).toContain(`${file} (${app})`);
    expect(output).toContain(`NO_SUCH_SETTING: unknown ${app} setting in ${file}`);
  });

  it('a bad shared setting at the top of the file stops every app', async () => {
    const file = configFile('bad-shared.yaml', 'LOG_LEVEL: loud\n');
    const { code, output } = await runToExit('session', { CONFIG_FILE: file, LOG_LEVEL: '' });
    expect(code).toBe(78);
    expect(output).toContain(`LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, got "loud" (in ${file})`);
  });

  it('an environment variable overrides the file', async () => {
    const file = configFile('override.yaml', 'router:\n  ROUTER_GRPC_PORT: 99999\n');
    const { code, output } = await runToExit('router', { CONFIG_FILE: file, ROUTER_GRPC_PORT: '-1' });
    expect(code).toBe(78);
    expect(output).toContain('ROUTER_GRPC_PORT: expected an integer from 0 to 65535, got "-1"');
    expect(output).not.toContain('99999');
  });

  it('a missing file is named', async () => {
    const { code, output } = await runToExit('session', { CONFIG_FILE: join(dir, 'nope.yaml') });
    expect(code).toBe(78);
    expect(output).toContain('CONFIG_FILE: cannot read');
  });

  it('one file serves several apps: auth starts with its settings from it', async () => {
    const port = await freePort();
    const file = configFile(
      'good.yaml',
      [
        `NATS_URL: ${inject('natsUrl')}`,
        'LOG_LEVEL: warn',
        'edge:',
        '  C2S_PORT: 5999',
        'auth:',
        `  AUTH_GRPC_PORT: ${port}`,
        '  REGISTRATION_OPEN: true',
        '',
      ].join('\n'),
    );
    const auth = startApp('auth', { CONFIG_FILE: file, NATS_URL: '', AUTH_GRPC_PORT: '', LOG_LEVEL: '', AUTH_ADMIN_PORT: String(await freePort()) });
    const client = createClient(healthv1.HealthClient, `127.0.0.1:${port}`);
    try {
      await waitForPort(port);
      expect((await call(client.check.bind(client), { service: '' })).status).toBe(healthv1.HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      client.close();
      await auth.stop();
    }
  });
});
