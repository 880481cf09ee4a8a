// ROUTER_MODULES (docs/architecture.md, "Writing a router module"): a router
// with only some modules serves and advertises only those: the domain's and
// an account's disco#info list what is enabled, the IQs of a disabled module
// get service-unavailable, and routing, rosters and presence go on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import { startStack, type Stack } from '@cx/stack';

let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-modules-'));
let alice: { c: RawClient; jid: string };
let bob: { c: RawClient; jid: string };
const a = uniqueName('alice');
const b = uniqueName('bob');
let n = 0;

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: { REGISTRATION_OPEN: 'true', ALLOW_PLAINTEXT_AUTH: 'true', LOG_LEVEL: 'warn', ROUTER_MODULES: 'disco,account,ping,roster,presence,offline' },
  });
  const port = stack.edgePorts[0];
  await register(port, a, 'pw');
  await register(port, b, 'pw');
  alice = await login(port, a, 'pw');
  bob = await login(port, b, 'pw');
}, 60_000);

afterAll(async () => {
  alice?.c.close();
  bob?.c.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function iq(who: { c: RawClient }, type: 'get' | 'set', to: string | null, payload: string): Promise<Element> {
  const id = `m${++n}`;
  who.c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  return who.c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

const features = (r: Element) => (r.getChild('query')?.getChildren('feature') ?? []).map((f) => f.attrs.var);
const refused = (r: Element) => r.attrs.type === 'error' && !!r.getChild('error')?.getChild('service-unavailable');

describe('a router with some modules', () => {
  it('advertises only what the enabled modules serve, on the domain and on an account', async () => {
    expect(features(await iq(alice, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`))).toEqual([
      'http://jabber.org/protocol/disco#info',
      'http://jabber.org/protocol/disco#items',
      'msgoffline',
      'urn:xmpp:ping',
    ]);
    expect(features(await iq(alice, 'get', `${b}@localhost`, `<query xmlns='http://jabber.org/protocol/disco#info'/>`))).toEqual([
      'http://jabber.org/protocol/disco#info',
      'http://jabber.org/protocol/disco#items',
    ]);
  });

  it('answers the IQs of disabled modules with service-unavailable', async () => {
    expect(refused(await iq(alice, 'set', null, `<enable xmlns='urn:xmpp:carbons:2'/>`))).toBe(true);
    expect(refused(await iq(alice, 'get', null, `<blocklist xmlns='urn:xmpp:blocking'/>`))).toBe(true);
    expect(refused(await iq(alice, 'get', null, `<vCard xmlns='vcard-temp'/>`))).toBe(true);
    expect(refused(await iq(alice, 'get', 'localhost', `<query xmlns='jabber:iq:version'/>`))).toBe(true);
    expect(refused(await iq(alice, 'get', `${b}@localhost`, `<query xmlns='jabber:iq:last'/>`))).toBe(true);
    expect((await iq(alice, 'get', 'localhost', `<ping xmlns='urn:xmpp:ping'/>`)).attrs.type).toBe('result');
  });

  it('routes, keeps rosters and presence as before', async () => {
    expect((await iq(alice, 'get', null, `<query xmlns='jabber:iq:roster'/>`)).attrs.type).toBe('result');
    alice.c.send('<presence/>');
    await alice.c.until((el) => el.name === 'presence' && el.attrs.from === alice.jid);
    bob.c.send('<presence/>');
    await bob.c.until((el) => el.name === 'presence' && el.attrs.from === bob.jid);
    alice.c.send(`<message to='${b}@localhost' type='chat' id='hi'><body>hello</body></message>`);
    expect((await bob.c.until((el) => el.name === 'message' && el.attrs.id === 'hi')).getChildText('body')).toBe('hello');
  });
});
