// XEP-0077 in-band registration through the auth service, and xmppctl.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { authenticate, login, RawClient, register, uniqueName } from '@cx/testing';

const [port] = inject('edgePorts');
const adminEnv = inject('adminEnv');
const exec = promisify(execFile);
const xmppctl = (...args: string[]) =>
  exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), ...args], { env: { ...process.env, ...adminEnv, XMPP_DOMAIN: 'localhost' } });

describe('in-band registration (XEP-0077)', () => {
  it('gives the form, registers, refuses a taken name with conflict, and the account logs in', async () => {
    const name = uniqueName('newbie');
    const c = await RawClient.connect(port);
    await c.open();
    c.send(`<iq type='get' id='f'><query xmlns='jabber:iq:register'/></iq>`);
    const form = (await c.element()).getChild('query', 'jabber:iq:register');
    expect(form?.getChild('username')).toBeDefined();
    expect(form?.getChild('password')).toBeDefined();
    expect(form?.getChildText('instructions')).toBeTruthy();
    c.send(`<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>${name}</username><password>pw1</password></query></iq>`);
    expect((await c.element()).attrs).toMatchObject({ type: 'result', id: 'r1' });
    c.send(`<iq type='set' id='r2'><query xmlns='jabber:iq:register'><username>${name.toUpperCase()}</username><password>other</password></query></iq>`);
    const dup = await c.element();
    expect(dup.attrs.type).toBe('error');
    expect(dup.getChild('error')?.getChild('conflict')).toBeDefined();
    c.send(`<iq type='set' id='r3'><query xmlns='jabber:iq:register'><username>bad user</username><password>x</password></query></iq>`);
    expect((await c.element()).getChild('error')?.getChild('not-acceptable')).toBeDefined();
    c.send(`<iq type='set' id='r4'><query xmlns='jabber:iq:register'><username>${name}x</username></query></iq>`);
    expect((await c.element()).getChild('error')?.getChild('bad-request')).toBeDefined();
    expect((await authenticate(c, name, 'pw1', 'SCRAM-SHA-1')).name).toBe('success');
    c.close();
  });

  it('changes the password and cancels the account once logged in', async () => {
    const name = uniqueName('mover');
    await register(port, name, 'old');
    const { c } = await login(port, name, 'old');
    c.send(`<iq type='get' id='g'><query xmlns='jabber:iq:register'/></iq>`);
    const form = (await c.element()).getChild('query');
    expect(form?.getChild('registered')).toBeDefined();
    expect(form?.getChildText('username')).toBe(name);
    c.send(`<iq type='set' id='p'><query xmlns='jabber:iq:register'><username>${name}</username><password>new</password></query></iq>`);
    expect((await c.element()).attrs).toMatchObject({ type: 'result', id: 'p' });
    await expect(login(port, name, 'old')).rejects.toThrow(/not-authorized/);
    const again = await login(port, name, 'new', { mechanism: 'DIGEST-MD5' });
    again.c.send(`<iq type='set' id='x'><query xmlns='jabber:iq:register'><remove/></query></iq>`);
    expect((await again.c.element()).attrs).toMatchObject({ type: 'result', id: 'x' });
    expect((await again.c.next()).kind).toBe('end');
    c.close();
    await expect(login(port, name, 'new')).rejects.toThrow(/not-authorized/);
  });
});

describe('xmppctl', () => {
  it('register, list, passwd, connected, unregister', async () => {
    const name = uniqueName('ctl');
    expect((await xmppctl('register', name, 'one')).stdout).toContain(`registered ${name}@localhost`);
    await expect(xmppctl('register', name, 'two')).rejects.toMatchObject({ stdout: expect.stringContaining('conflict') });
    expect((await xmppctl('list')).stdout.split('\n')).toContain(name);
    await xmppctl('passwd', name, 'two');
    const { c, jid } = await login(port, name, 'two', { mechanism: 'PLAIN' });
    expect((await xmppctl('connected')).stdout).toContain(jid);
    c.close();
    await xmppctl('unregister', name);
    expect((await xmppctl('list')).stdout.split('\n')).not.toContain(name);
    await expect(xmppctl('bogus')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage') });
  });
});
