// libstrophe (Debian libstrophe-dev 0.12.2, the library under Profanity), a client nobody here
// wrote: a tiny C program (libstrophe/login.c, compiled here) logs in over mandatory STARTTLS
// trusting the test CA and fetches its roster. 0.12.2 does not bind to the channel: it picks
// SCRAM-SHA-256 with the gs2 flag "n", which must work at once where -PLUS is offered. (Later
// versions bind with tls-exporter on TLS 1.3 and tls-unique on TLS 1.2: channel-binding.e2e.ts.)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { register, uniqueName } from '@cx/testing';

const [port] = inject('edgePorts');
const certFile = inject('certFile');
const dir = mkdtempSync(join(tmpdir(), 'cx-libstrophe-'));
const bin = join(dir, 'login');

beforeAll(() => {
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libstrophe']).toString().trim().split(/\s+/);
  execFileSync('gcc', ['-o', bin, join(__dirname, 'libstrophe', 'login.c'), ...flags]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(jid: string, password: string): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(bin, [jid, password, '127.0.0.1', String(port), certFile], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill(), 15000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter(Boolean) });
    }),
  );
}

describe('libstrophe', () => {
  it('logs in over STARTTLS at the first attempt (SCRAM-SHA-256, "n") and fetches its roster', async () => {
    const name = uniqueName('strophe');
    await register(port, name, 'pw');
    const { code, lines } = await run(`${name}@localhost`, 'pw');
    if (process.env.E2E_VERBOSE) console.log(lines.join('\n'));
    expect(code).toBe(0);
    expect(lines).toContain('secured 1');
    expect(lines).toContain('roster 0');
    expect(lines.filter((l) => l.startsWith('auth ') || l === 'failure')).toEqual(['auth SCRAM-SHA-256 biws']);
  });

  it('a wrong password fails cleanly', async () => {
    const name = uniqueName('strophe');
    await register(port, name, 'pw');
    const { code, lines } = await run(`${name}@localhost`, 'wrong');
    expect(code).toBe(1);
    expect(lines).not.toContain('secured 1');
  });
});
