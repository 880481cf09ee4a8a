// slixmpp (Debian python3-slixmpp), a client nobody here wrote, uses PEP as OMEMO clients do,
// through its own xep_0060 plugin: one user publishes OMEMO device lists and bundles (OMEMO 2
// and the legacy eu.siacs.conversations.axolotl nodes) with publish-options access_model=open,
// and gets precondition-not-met for other options; a second user, no contact, on the other
// edge, reads them all.
import { describe, expect, inject, it } from 'vitest';
import { register, uniqueName } from '@cx/testing';
import { runSlixmpp, type SlixmppEvent } from './slixmpp/run';

const [edgeA, edgeB] = inject('edgePorts');
const certFile = inject('certFile');
const run = (args: string[], onEvent?: (e: SlixmppEvent) => void) => runSlixmpp('pep.py', args, onEvent);

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
