// Runs one of the slixmpp scripts beside this file (Debian python3-slixmpp): each line
// it prints is a JSON event, handed to onEvent as it comes and returned with the exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface SlixmppEvent {
  event: string;
  [k: string]: unknown;
}

export interface SlixmppRun {
  code: number | null;
  events: SlixmppEvent[];
  stderr: string;
}

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** `script`: a file name in apps/e2e/src/slixmpp (e.g. 'pep.py'). */
export function runSlixmpp(script: string, args: string[], onEvent?: (e: SlixmppEvent) => void): Promise<SlixmppRun> {
  const child = spawn(PYTHON, [join(__dirname, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: SlixmppEvent[] = [];
  let buf = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line) continue;
      const e = JSON.parse(line) as SlixmppEvent;
      events.push(e);
      onEvent?.(e);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, events, stderr })));
}
