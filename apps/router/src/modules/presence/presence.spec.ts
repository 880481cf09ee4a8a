import { describe, expect, it, vi } from 'vitest';
import { Hooks } from '@cx/modules';
import { routerv1 } from '@cx/proto';
import { parseElement } from '@cx/xml-stream';
import { parseJid, type Element, type StanzaError } from '@cx/xmpp-core';
import { UserRemoval } from '../../user-removal';
import type { RouterContext, RouterEvents } from '../module';
import { presenceModule } from './index';

const { StanzaKind } = routerv1;

function setup(directedOk = true) {
  const hooks = new Hooks<RouterEvents>();
  const im = {
    subscription: vi.fn(async () => undefined),
    broadcast: vi.fn(async () => undefined),
    directed: vi.fn(async () => directedOk),
    ended: vi.fn(async () => undefined),
    removeUser: vi.fn(async () => undefined),
  };
  const errors: string[] = [];
  const router = {
    parse: (s: { xml: Uint8Array }) => parseElement(Buffer.from(s.xml).toString()) as Element,
    errorTo: (_s: unknown, _sender: unknown, e: StanzaError) => void errors.push(e.condition),
  };
  const removal = new UserRemoval();
  void presenceModule.setup?.({ hooks, im, router, removal } as unknown as RouterContext);
  const fire = (to: string, type: string, undeliverable = false) => {
    const s = {
      kind: StanzaKind.STANZA_KIND_PRESENCE,
      from: 'u@localhost/a',
      to,
      type,
      id: '',
      xml: Buffer.from(`<presence${type ? ` type='${type}'` : ''}/>`),
      connectionId: 'c1',
      undeliverable,
      smIn: 0,
      traceparent: '',
      shared: false,
    };
    const sender = { edgeId: 'e', connectionId: 'c1', jid: parseJid('u@localhost/a') };
    return hooks.fire('stanza-in', { s, sender, to: to ? parseJid(to) : parseJid('u@localhost') });
  };
  return { hooks, im, errors, removal, fire };
}

describe('the presence module', () => {
  it('takes subscription stanzas and one’s own presence (the router routes them no further)', async () => {
    const { im, fire } = setup();
    expect(await fire('v@localhost', 'subscribe')).toBe(true);
    expect(im.subscription).toHaveBeenCalledWith('subscribe', expect.objectContaining({ connectionId: 'c1' }), parseJid('v@localhost'), expect.anything());
    expect(await fire('', '')).toBe(true);
    expect(im.broadcast).toHaveBeenCalledTimes(1);
  });

  it('remembers a directed presence before it is delivered; past the bound, resource-constraint and not delivered', async () => {
    const ok = setup();
    expect(await ok.fire('v@localhost/r', '')).toBe(false);
    expect(ok.im.directed).toHaveBeenCalledWith(expect.anything(), parseJid('v@localhost/r'), true);
    const refused = setup(false);
    expect(await refused.fire('v@localhost/r', '')).toBe(true);
    expect(refused.errors).toEqual(['resource-constraint']);
  });

  it('lets through a directed presence routed again (undeliverable) and presence to oneself, recording nothing', async () => {
    const { im, fire } = setup();
    expect(await fire('v@localhost/r', '', true)).toBe(false);
    expect(await fire('u@localhost/b', '')).toBe(false);
    expect(im.directed).not.toHaveBeenCalled();
  });

  it('tells contacts when a session ended while available, and registers the contacts stage of a removal', async () => {
    const { hooks, im, removal } = setup();
    await hooks.fire('session-ended', { fullJid: 'u@localhost/a', available: true, directed: [], connectionId: 'c1' } as never);
    await hooks.fire('session-ended', { fullJid: 'u@localhost/b', available: false, directed: [], connectionId: 'c2' } as never);
    expect(im.ended).toHaveBeenCalledTimes(1);
    expect(removal.names()).toEqual(['contacts']);
  });
});
