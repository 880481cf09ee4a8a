// XEP-0215 External Service Discovery through the router's extdisco module:
// the coturn the stack started is announced with credentials in coturn's REST
// scheme, which coturn itself accepts (a TURN Allocate with them succeeds,
// with an altered password it is refused).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { login, RawClient, register, uniqueName } from '@cx/testing';
import { turnAllocate } from './turn-allocate';

const [edgeA] = inject('edgePorts');
const turn = inject('turn');
const NS = 'urn:xmpp:extdisco:2';
let me: { c: RawClient; jid: string };
let n = 0;

beforeAll(async () => {
  const name = uniqueName('caller');
  await register(edgeA, name, 'pw');
  me = await login(edgeA, name, 'pw');
});
afterAll(() => me.c.close());

async function iq(payload: string): Promise<Element> {
  const id = `x${++n}`;
  me.c.send(`<iq type='get' id='${id}' to='localhost'>${payload}</iq>`);
  return me.c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

const bare = () => me.jid.split('/')[0];

describe('XEP-0215 external services', () => {
  it('is advertised on the domain', async () => {
    const d = await iq(`<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    expect(
      d
        .getChild('query')
        ?.getChildren('feature')
        .map((f) => f.attrs.var),
    ).toContain(NS);
  });

  it('lists STUN and TURN with REST credentials that verify with the shared secret', async () => {
    const r = await iq(`<services xmlns='${NS}'/>`);
    expect(r.attrs.type).toBe('result');
    const services = r.getChild('services')?.getChildren('service') ?? [];
    expect(services.map((s) => `${s.attrs.type}/${s.attrs.transport}/${s.attrs.port}`)).toEqual([
      `stun/udp/${turn.port}`,
      `turn/udp/${turn.port}`,
      `turn/tcp/${turn.port}`,
    ]);
    const t = services[1].attrs;
    const [expiry, user] = [t.username.slice(0, t.username.indexOf(':')), t.username.slice(t.username.indexOf(':') + 1)];
    expect(user).toBe(bare());
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(3600);
    expect(Date.parse(t.expires)).toBe(Number(expiry) * 1000);
    expect(t.password).toBe(createHmac('sha1', turn.secret).update(t.username).digest('base64'));
    expect(t.restricted).toBe('1');
    expect(services[0].attrs.password).toBeUndefined();
  });

  it('filters by type and answers credentials requests', async () => {
    const r = await iq(`<services xmlns='${NS}' type='stun'/>`);
    expect(
      r
        .getChild('services')
        ?.getChildren('service')
        .map((s) => s.attrs.type),
    ).toEqual(['stun']);
    const c = await iq(`<credentials xmlns='${NS}'><service host='127.0.0.1' type='turn' port='${turn.port}'/></credentials>`);
    expect(c.getChild('credentials')?.getChildren('service')).toHaveLength(2);
    const none = await iq(`<credentials xmlns='${NS}'><service host='elsewhere.example' type='turn'/></credentials>`);
    expect(none.getChild('error')?.getChild('item-not-found')).toBeDefined();
  });

  it('hands out credentials the real coturn accepts', async () => {
    const r = await iq(`<services xmlns='${NS}' type='turn'/>`);
    const t = (r.getChild('services')?.getChildren('service') ?? [])[0].attrs;
    expect(await turnAllocate('127.0.0.1', Number(t.port), t.username, t.password)).toBe('success');
    expect(await turnAllocate('127.0.0.1', Number(t.port), t.username, `x${t.password.slice(1)}`)).toBe(401);
    // An expired username is refused, whatever its password.
    const old = `${Math.floor(Date.now() / 1000) - 60}:${bare()}`;
    expect(await turnAllocate('127.0.0.1', Number(t.port), old, createHmac('sha1', turn.secret).update(old).digest('base64'))).toBe(401);
  });
});
