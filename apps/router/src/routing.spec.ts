// The routing rules of RFC 6121 §8.5 on in-memory sessions: which sessions get
// a stanza, and which stanzas bounce with which error.
import { describe, expect, it } from 'vitest';
import { Hooks, ModuleHost, serverModules, STOP } from '@cx/modules';
import { routerv1, sessionv1 } from '@cx/proto';
import { x } from '@cx/xmpp-core';
import type { SessionDirectory, SessionEntry, UserSessions } from '@cx/session-directory';
import type { Deliverer } from './deliverer';
import { Router } from './routing';
import type { RouterEvents } from './modules/module';

/** A session entry as the registry holds one: on edge e1, available, priority 0, unless given. */
const routerSession = (s: Partial<SessionEntry>): SessionEntry => sessionv1.SessionEntry.fromPartial({ edgeId: 'e1', available: true, ...s });

const { StanzaKind } = routerv1;

function setup(
  users: Record<string, Array<Partial<SessionEntry> & { resource: string }>>,
  gone: string[] = [],
  hooks = new Hooks<RouterEvents>(),
  host = new ModuleHost('localhost', serverModules),
) {
  const map = new Map<string, UserSessions>(
    Object.entries(users).map(([bare, ss]) => [
      bare,
      {
        sessions: ss.map((s) => routerSession({ connectionId: `c-${s.resource}`, ...s })),
      },
    ]),
  );
  const directory = { cached: (b: string) => map.get(b), lookup: async (b: string) => map.get(b) ?? { sessions: [] } } as unknown as SessionDirectory;
  const out: Array<{ edge: string; conn: string; to: string; xml: string }> = [];
  const deliverer = {
    deliver: (edge: string, conn: string, to: string, xml: Uint8Array) => out.push({ edge, conn, to, xml: Buffer.from(xml).toString() }),
  } as unknown as Deliverer;
  const router = new Router({ domain: 'localhost', directory, deliverer, host, hooks, edgeGone: (e) => gone.includes(e) });
  const route = async (kind: number, from: string, to: string, type: string, xml: string) => {
    await router.route(
      { kind, from, to, type, id: '1', xml: Buffer.from(xml), connectionId: 'sender', undeliverable: false, smIn: 0, traceparent: '', shared: false },
      'e0',
    );
    return out.splice(0);
  };
  /** A delivery to `lost` (a connection of `to`) came back undeliverable; `shared`: others got a copy in the same routing. */
  const reroute = async (lost: string, to: string, xml: string, shared: boolean) => {
    await router.route(
      {
        kind: StanzaKind.STANZA_KIND_MESSAGE,
        from: 'r@localhost/a',
        to,
        type: 'chat',
        id: '1',
        xml: Buffer.from(xml),
        connectionId: lost,
        undeliverable: true,
        smIn: 0,
        traceparent: '',
        shared,
      },
      'e0',
    );
    return out.splice(0);
  };
  return { route, reroute };
}

const msg = (to: string, type = 'chat') => `<message from='r@localhost/a' to='${to}' type='${type}' id='1'><body>x</body></message>`;

describe('Router', () => {
  const users = {
    'j@localhost': [
      { resource: 'hi', priority: 5 },
      { resource: 'hi2', priority: 5 },
      { resource: 'lo', priority: 1 },
      { resource: 'neg', priority: -1 },
      { resource: 'away', available: false, priority: 9 },
    ],
    'r@localhost': [{ resource: 'a' }],
  };

  it('delivers to a full JID', async () => {
    const { route } = setup(users);
    expect((await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost/lo', 'chat', msg('j@localhost/lo'))).map((d) => d.conn)).toEqual([
      'c-lo',
    ]);
  });

  it('delivers chat to a bare JID to the available resources of highest non-negative priority', async () => {
    const { route } = setup(users);
    expect((await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost', 'chat', msg('j@localhost'))).map((d) => d.conn)).toEqual([
      'c-hi',
      'c-hi2',
    ]);
  });

  it('delivers headline to every non-negative available resource, and drops groupchat with an error', async () => {
    const { route } = setup(users);
    expect(
      (await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost', 'headline', msg('j@localhost', 'headline'))).map((d) => d.conn),
    ).toEqual(['c-hi', 'c-hi2', 'c-lo']);
    const gc = await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost', 'groupchat', msg('j@localhost', 'groupchat'));
    expect(gc).toHaveLength(1);
    expect(gc[0]).toMatchObject({ conn: 'sender', to: 'r@localhost/a' });
    expect(gc[0].xml).toContain('<service-unavailable');
  });

  it('bounces a message to an unavailable user, and never answers an error with an error', async () => {
    const { route } = setup(users);
    const r = await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'x@localhost', 'chat', msg('x@localhost'));
    expect(r[0].xml).toMatch(/^<message type="error" id="1" to="r@localhost\/a" from="x@localhost"><body>x<\/body><error type="cancel"><service-unavailable/);
    expect(await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'x@localhost', 'error', msg('x@localhost', 'error'))).toEqual([]);
  });

  it('answers an iq to the server from its modules and an unknown one with service-unavailable', async () => {
    const { route } = setup(users);
    const ping = await route(
      StanzaKind.STANZA_KIND_IQ,
      'r@localhost/a',
      'localhost',
      'get',
      `<iq from='r@localhost/a' to='localhost' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>`,
    );
    expect(ping[0].xml).toBe('<iq type="result" id="1" to="r@localhost/a" from="localhost"/>');
    const other = await route(
      StanzaKind.STANZA_KIND_IQ,
      'r@localhost/a',
      'j@localhost',
      'get',
      `<iq from='r@localhost/a' to='j@localhost' type='get' id='1'><query xmlns='jabber:iq:version'/></iq>`,
    );
    expect(other[0].xml).toContain('<service-unavailable');
  });

  it('refuses other domains and malformed JIDs', async () => {
    const { route } = setup(users);
    expect((await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'a@example.net', 'chat', msg('a@example.net')))[0].xml).toContain(
      '<remote-server-not-found',
    );
    expect((await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'a@@b', 'chat', msg('a@@b')))[0].xml).toContain('<jid-malformed');
  });
});

describe('Router.failed', () => {
  it('answers a stanza whose routing threw (offline storage unavailable) with internal-server-error of type wait', async () => {
    const map = new Map<string, UserSessions>([
      [
        'r@localhost',
        {
          sessions: [routerSession({ resource: 'a', connectionId: 'sender' })],
        },
      ],
    ]);
    const directory = { cached: (b: string) => map.get(b), lookup: async (b: string) => map.get(b) ?? { sessions: [] } } as unknown as SessionDirectory;
    const out: Array<{ edge: string; xml: string }> = [];
    const deliverer = {
      deliver: (edge: string, _c: string, _t: string, xml: Uint8Array) => out.push({ edge, xml: Buffer.from(xml).toString() }),
    } as unknown as Deliverer;
    const hooks = new Hooks<RouterEvents>().on('message-undelivered', async () => Promise.reject(new Error('JetStream unavailable')));
    const router = new Router({ domain: 'localhost', directory, deliverer, host: new ModuleHost('localhost', serverModules), hooks });
    const s = {
      kind: StanzaKind.STANZA_KIND_MESSAGE,
      from: 'r@localhost/a',
      to: 'x@localhost',
      type: 'chat',
      id: '1',
      xml: Buffer.from(msg('x@localhost')),
      connectionId: 'sender',
      undeliverable: false,
      smIn: 0,
      traceparent: '',
      shared: false,
    };
    await expect(router.route(s, 'e0')).rejects.toThrow(/JetStream/);
    expect(out).toEqual([]); // nothing said yet: the Route stream calls failed()
    router.failed(s, 'e0');
    expect(out).toHaveLength(1);
    expect(out[0]!.edge).toBe('e0');
    expect(out[0]!.xml).toMatch(
      /<error type="wait"><internal-server-error xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><text[^>]*>the server could not handle this now; try again later<\/text><\/error>/,
    );
    router.failed({ ...s, type: 'error' }, 'e0');
    expect(out).toHaveLength(1); // never an error to an error
  });
});

describe('Router: a lost delivery of a message to a bare JID', () => {
  it('goes nowhere when the routing gave another available session its own copy', async () => {
    const { reroute } = setup({ 'j@localhost': [{ resource: 'dead', edgeId: 'e9' }, { resource: 'other' }] });
    expect(await reroute('c-dead', 'j@localhost/dead', msg('j@localhost'), true)).toEqual([]);
  });

  it('goes to the others when it was not shared, and never to a session of a gone edge', async () => {
    const { reroute } = setup({ 'j@localhost': [{ resource: 'dead', edgeId: 'e9' }, { resource: 'other' }] });
    expect((await reroute('c-dead', 'j@localhost/dead', msg('j@localhost'), false)).map((d) => d.conn)).toEqual(['c-other']);
    // Its twin on the same gone edge had no copy either, and gets none now: nobody is left but offline storage.
    const { reroute: gone } = setup(
      {
        'j@localhost': [
          { resource: 'dead', edgeId: 'e9' },
          { resource: 'twin', edgeId: 'e9' },
          { resource: 'later', available: false },
        ],
      },
      ['e9'],
    );
    expect(await gone('c-dead', 'j@localhost/dead', msg('j@localhost'), true)).toEqual([]);
  });
});

describe('Router hooks', () => {
  const users = { 'j@localhost': [{ resource: 'a' }, { resource: 'b' }], 'r@localhost': [{ resource: 'a' }] };

  it('stanza-in: a module that stops a stanza keeps it from routing; one that passes lets it through, after waiting', async () => {
    const seen: string[] = [];
    const hooks = new Hooks<RouterEvents>()
      .on('stanza-in', (e) => (e.s.type === 'headline' ? STOP : undefined), { priority: 10 })
      .on('stanza-in', async (e) => void seen.push(`${e.sender.jid.toString()}>${e.to.toString()}`));
    const { route } = setup(users, [], hooks);
    expect(await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost/a', 'headline', msg('j@localhost/a', 'headline'))).toEqual([]);
    expect((await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost/a', 'chat', msg('j@localhost/a'))).map((d) => d.conn)).toEqual(['c-a']);
    expect(seen).toEqual(['r@localhost/a>j@localhost/a']);
  });

  it('message-deliver may keep a message; message-delivered sees the sessions that got it', async () => {
    const delivered: string[][] = [];
    const hooks = new Hooks<RouterEvents>()
      .on('message-deliver', (e) => (e.s.type === 'normal' ? STOP : undefined))
      .on('message-delivered', (e) => void delivered.push(e.targets.map((t) => t.connectionId)));
    const { route } = setup(users, [], hooks);
    expect(await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost', 'normal', msg('j@localhost', 'normal'))).toEqual([]);
    expect((await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost', 'chat', msg('j@localhost'))).map((d) => d.conn)).toEqual([
      'c-a',
      'c-b',
    ]);
    expect(delivered).toEqual([['c-a', 'c-b']]);
  });

  it('message-undelivered: a module that takes the message (offline storage) stops the bounce; without one, service-unavailable', async () => {
    const taken: string[] = [];
    const hooks = new Hooks<RouterEvents>().on('message-undelivered', async (e) => (taken.push(e.to.toString()), STOP));
    const { route } = setup({ 'r@localhost': [{ resource: 'a' }] }, [], hooks);
    expect(await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'x@localhost', 'chat', msg('x@localhost'))).toEqual([]);
    expect(taken).toEqual(['x@localhost']);
    const { route: bare } = setup({ 'r@localhost': [{ resource: 'a' }] });
    const [err] = await bare(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'x@localhost', 'chat', msg('x@localhost'));
    expect(err?.xml).toContain('service-unavailable');
  });

  it("one's own presence with no presence module goes nowhere", async () => {
    const { route } = setup(users);
    expect(await route(StanzaKind.STANZA_KIND_PRESENCE, 'j@localhost/a', '', '', `<presence/>`)).toEqual([]);
  });
});

describe('Router: iqs to a full JID', () => {
  it('go to the session, unless a module answers them (target full)', async () => {
    const users = { 'j@localhost': [{ resource: 'a' }], 'r@localhost': [{ resource: 'a' }] };
    const iq = (ns: string) => `<iq type='get' id='q' from='r@localhost/a' to='j@localhost/a'><query xmlns='${ns}'/></iq>`;
    const host = new ModuleHost('localhost', serverModules, { store: () => ({}) as never, userExists: async () => true, startedAt: 0 });
    host.handle('iq-get/full/urn:example:answered:query', ({ target }) => x('query', { xmlns: 'urn:example:answered', of: target }), { module: 'example' });
    const { route } = setup(users, [], new Hooks<RouterEvents>(), host);
    const [answered] = await route(StanzaKind.STANZA_KIND_IQ, 'r@localhost/a', 'j@localhost/a', 'get', iq('urn:example:answered'));
    expect(answered?.conn).toBe('sender');
    expect(answered?.xml).toBe('<iq type="result" id="q" to="r@localhost/a" from="j@localhost/a"><query xmlns="urn:example:answered" of="j"/></iq>');
    const [delivered] = await route(StanzaKind.STANZA_KIND_IQ, 'r@localhost/a', 'j@localhost/a', 'get', iq('urn:example:other'));
    expect(delivered?.conn).toBe('c-a');
  });
});

describe('Router: stanzas from an external component (XEP-0114)', () => {
  it('reach the recipient without the sender-side hooks, and errors go back to the component', async () => {
    const users = { 'j@localhost': [{ resource: 'a' }], 'r@localhost': [{ resource: 'a' }] };
    const seen: string[] = [];
    const hooks = new Hooks<RouterEvents>().on('stanza-in', (e) => (seen.push(e.sender.jid.toString()), undefined));
    const { route } = setup(users, [], hooks);
    const fromBot = `<message from='news@bot.localhost' to='j@localhost' type='chat' id='1'><body>x</body></message>`;
    const [delivered] = await route(StanzaKind.STANZA_KIND_MESSAGE, 'news@bot.localhost', 'j@localhost', 'chat', fromBot);
    expect(delivered).toMatchObject({ edge: 'e1', conn: 'c-a', to: 'j@localhost/a' });
    const iq = `<iq from='bot.localhost' to='j@localhost/gone' type='get' id='1'><query xmlns='jabber:iq:version'/></iq>`;
    const [error] = await route(StanzaKind.STANZA_KIND_IQ, 'bot.localhost', 'j@localhost/gone', 'get', iq);
    expect(error).toMatchObject({ edge: 'e0', conn: 'sender', to: 'bot.localhost' });
    expect(error?.xml).toContain('service-unavailable');
    expect(seen).toEqual([]);
    // A client's stanza still meets them.
    await route(StanzaKind.STANZA_KIND_MESSAGE, 'r@localhost/a', 'j@localhost', 'chat', msg('j@localhost'));
    expect(seen).toEqual(['r@localhost/a']);
  });
});
