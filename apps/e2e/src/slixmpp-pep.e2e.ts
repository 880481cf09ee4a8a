// slixmpp (Debian python3-slixmpp), a client nobody here wrote, uses PEP as OMEMO clients do,
// through its own xep_0060 plugin: one user publishes OMEMO device lists and bundles (OMEMO 2
// and the legacy eu.siacs.conversations.axolotl nodes) with publish-options access_model=open,
// and gets precondition-not-met for other options; a second user, no contact, on the other
// edge, reads them all.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { register, uniqueName } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const certFile = inject('certFile');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = join(__dirname, 'slixmpp', 'pep.py');

interface Event {
  event: string;
  [k: string]: unknown;
}

function run(args: string[]): Promise<{ code: number | null; events: Event[]; stderr: string }> {
  const child = spawn(PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Event[] = [];
  let buf = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      events.push(JSON.parse(buf.slice(0, i)) as Event);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, events, stderr })));
}

describe('slixmpp: OMEMO device lists and bundles over PEP', () => {
  it('one user publishes them with access_model=open, another on the other edge fetches them', async () => {
    const [alice, bob] = [uniqueName('slixomemo'), uniqueName('slixpeer')];
    await register(edgeA, alice, 'alice-pw');
    await register(edgeA, bob, 'bob-pw');
    const aliceJid = `${alice}@localhost`;

    const pub = await run([aliceJid, 'alice-pw', '127.0.0.1', String(edgeA), certFile, 'publish', '', '31337']);
    expect(pub.code, pub.stderr + JSON.stringify(pub.events)).toBe(0);
    const published = pub.events.find((e) => e.event === 'published');
    expect(published?.ids).toEqual({
      'urn:xmpp:omemo:2:devices': 'current',
      'urn:xmpp:omemo:2:bundles': '31337',
      'eu.siacs.conversations.axolotl.devicelist': 'current',
      'eu.siacs.conversations.axolotl.bundles:31337': 'current',
    });
    const pre = pub.events.find((e) => e.event === 'precondition');
    expect(pre).toMatchObject({ condition: 'conflict', app: expect.arrayContaining(['{http://jabber.org/protocol/pubsub#errors}precondition-not-met']) });

    const got = await run([`${bob}@localhost`, 'bob-pw', '127.0.0.1', String(edgeB), certFile, 'fetch', aliceJid]);
    expect(got.code, got.stderr + JSON.stringify(got.events)).toBe(0);
    const fetched = got.events.find((e) => e.event === 'fetched');
    expect(fetched).toMatchObject({ devices: ['31337'], legacy: ['31337'], bundle: 'spk31337', legacy_ik: ['ik'] });
    expect(fetched?.identities).toContain('pubsub/pep');
    expect(fetched?.features).toContain('http://jabber.org/protocol/pubsub#publish-options');
  });
});
