// The component listener over real sockets, with the registry and NATS faked:
// a handshake registers the connection, its stanzas are routed marked as a
// component's, and a newer connection for the same domain takes over (here:
// the older one closed with conflict; on another edge: a kick on its channel).
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { subjects, type NatsConnection } from '@cx/bus';
import type { ComponentRegistry, ComponentRoute } from '@cx/component-registry';
import { createLogger } from '@cx/log';
import { edgev1, type routerv1 } from '@cx/proto';
import { ComponentServer } from './component-server';

const log = createLogger({ service: 'test', level: 'fatal' });
const servers: ComponentServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.stop();
});

function fakes(previous?: ComponentRoute) {
  const registered: string[] = [];
  const unregistered: string[] = [];
  const published: Array<{ subject: string; m: edgev1.EdgeMessage }> = [];
  const routed: routerv1.Stanza[] = [];
  const registry = {
    clearEdge: async () => undefined,
    register: async (_d: string, _e: string, conn: string) => (registered.push(conn), registered.length === 1 ? previous : undefined),
    unregister: async (_d: string, _e: string, conn: string) => void unregistered.push(conn),
  } as unknown as ComponentRegistry;
  const nc = { publish: (subject: string, data: Uint8Array) => published.push({ subject, m: edgev1.EdgeMessage.decode(data) }) } as unknown as NatsConnection;
  return { registry, nc, registered, unregistered, published, routed };
}

async function start(f: ReturnType<typeof fakes>): Promise<number> {
  const s = new ComponentServer({
    edgeId: 'edge-a',
    host: '127.0.0.1',
    port: 0,
    secrets: new Map([['bot.localhost', 's3cret']]),
    registry: f.registry,
    nc: f.nc,
    route: (_slot, stanza) => f.routed.push(stanza),
    preauthLimits: { maxStanzaBytes: 16384 },
    limits: { maxStanzaBytes: 65536 },
    log,
  });
  servers.push(s);
  return s.listen();
}

/** Connect and hand-shake; resolves with everything read so far once <handshake/> came. */
function component(port: number): Promise<{ socket: Socket; text: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    let shook = false;
    socket.on('error', reject);
    socket.on('data', (d) => {
      text += d.toString();
      const id = /id='([^']+)'/.exec(text)?.[1];
      if (id && !shook) {
        shook = true;
        socket.write(`<handshake>${createHash('sha1').update(`${id}s3cret`).digest('hex')}</handshake>`);
      }
      if (text.includes('<handshake/>')) resolve({ socket, text: () => text });
    });
    socket.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost'>`);
  });
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('ComponentServer', () => {
  it("registers on the handshake and routes its stanzas marked as a component's", async () => {
    const f = fakes();
    const c = await component(await start(f));
    expect(f.registered).toHaveLength(1);
    c.socket.write(`<message to='j@localhost' id='m1'><body>hi</body></message>`);
    await until(() => f.routed.length === 1);
    expect(f.routed[0]).toMatchObject({ from: 'bot.localhost', to: 'j@localhost', component: true, connectionId: f.registered[0] });
    c.socket.end('</stream:stream>');
    await until(() => f.unregistered.length === 1);
  });

  it('a second connection for the domain closes the first with conflict', async () => {
    const f = fakes();
    const port = await start(f);
    const first = await component(port);
    await component(port);
    await until(() => first.text().includes('<conflict'));
  });

  it('closes the connection it replaced on another edge through that edge', async () => {
    const f = fakes({ edgeId: 'edge-b', connectionId: 'old', atMs: 1 });
    await component(await start(f));
    await until(() => f.published.length === 1);
    expect(f.published[0].subject).toBe(subjects.edge('edge-b'));
    expect(f.published[0].m.kicks).toEqual([expect.objectContaining({ connectionId: 'old', condition: 'conflict' })]);
  });
});

describe('ComponentServer: a connection that never shakes hands', () => {
  it('is closed with connection-timeout', async () => {
    const f = fakes();
    const s = new ComponentServer({
      edgeId: 'edge-a',
      host: '127.0.0.1',
      port: 0,
      secrets: new Map([['bot.localhost', 's3cret']]),
      registry: f.registry,
      nc: f.nc,
      route: () => undefined,
      preauthLimits: {},
      limits: {},
      handshakeTimeoutMs: 100,
      log,
    });
    servers.push(s);
    const socket = connect(await s.listen(), '127.0.0.1');
    sockets.push(socket);
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    await until(() => text.includes('<connection-timeout'));
  });
});
