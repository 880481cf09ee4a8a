// Flow control and shutdown on edges of their own (the settings would get in
// the way of the other files): the traffic shaper holds a flooding sender to
// its rate without slowing anyone else, a client that stops reading is closed
// with resource-constraint instead of being buffered without end, and SIGTERM
// tells clients system-shutdown, or see-other-host when SHUTDOWN_REDIRECT is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, startApp, startStack, waitForPort, type Proc, type Stack } from '@cx/stack';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import type { Element } from '@cx/xmpp-core';

let stack: Stack;
const extra: Proc[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'cx-flow-'));
const PW = 'secret';

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: {
      REGISTRATION_OPEN: 'true',
      LOG_LEVEL: 'warn',
      ALLOW_PLAINTEXT_AUTH: 'true',
      SHAPER_BYTES_PER_SEC: '0',
      MAX_SEND_BUFFER_BYTES: '0',
      OFFLINE_LIMIT: '10',
    },
  });
});
afterAll(async () => {
  await Promise.all(extra.map((p) => p.stop()));
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One more edge of the same server with its own settings, and its /metrics port. */
async function edge(env: Record<string, string>): Promise<{ proc: Proc; port: number; metrics: number }> {
  const [port, metrics] = [await freePort(), await freePort()];
  const proc = startApp('edge', {
    ...stack.edges[0].env,
    C2S_PORT: String(port),
    WS_PORT: '0',
    METRICS_PORT: String(metrics),
    EDGE_ID: `edge-flow-${port}`,
    ...env,
  });
  extra.push(proc);
  await waitForPort(port, 30000);
  return { proc, port, metrics };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function user(port: number): Promise<{ c: RawClient; jid: string }> {
  const name = uniqueName('flow');
  await register(port, name, PW);
  return login(port, name, PW, { mechanism: 'PLAIN' });
}

/** A server ping round trip, skipping whatever else arrives. */
async function ping(c: RawClient, id: string, timeoutMs = 5000): Promise<number> {
  const t0 = Date.now();
  c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await c.until((el) => el.name === 'iq' && el.attrs.id === id, timeoutMs);
  return Date.now() - t0;
}

const chat = (to: string, i: number, pad: string) => `<message type='chat' to='${to}' id='m${i}'><body>${i} ${pad}</body></message>`;

/** Send n messages of about `bytes` each to the sender's own full JID; resolves with the ms until the ping behind them is answered. */
async function flood(c: RawClient, jid: string, n: number, bytes: number): Promise<{ ms: number; order: number[] }> {
  const pad = 'x'.repeat(bytes);
  const t0 = Date.now();
  c.send(Array.from({ length: n }, (_, i) => chat(jid, i, pad)).join(''));
  const order: number[] = [];
  c.send(`<iq type='get' id='behind' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await c.until((el: Element) => {
    if (el.name === 'message') order.push(Number(el.getChildText('body')?.split(' ')[0]));
    return el.name === 'iq' && el.attrs.id === 'behind';
  }, 30000);
  const ms = Date.now() - t0;
  while (order.length < n) order.push(Number((await c.until((el) => el.name === 'message')).getChildText('body')?.split(' ')[0]));
  return { ms, order };
}

describe('traffic shaper (SHAPER_BYTES_PER_SEC)', () => {
  it('holds a flooding sender to its rate, in order, while another client on the edge stays fast', async () => {
    const shaped = await edge({ SHAPER_BYTES_PER_SEC: '20000', SHAPER_BURST_BYTES: '4096' });
    const flooder = await user(shaped.port);
    const other = await user(shaped.port);
    const rtts: number[] = [];
    const pinging = (async () => {
      for (let i = 0; i < 6; i++) {
        rtts.push(await ping(other.c, `o${i}`));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    // 60 × ~2 KB = ~124 KB: at 20 kB/s after a 4 KB burst, about 6 s. What one
    // read brings in (up to 64 KiB) is handled at once, so the shaper holds
    // at least (124 − 4 − 64) KB for ≥ 2.8 s whatever the reads' sizes.
    const { ms, order } = await flood(flooder.c, flooder.jid, 60, 2000);
    await pinging;
    expect(order).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(ms).toBeGreaterThanOrEqual(2500);
    expect(ms).toBeLessThan(15000);
    expect(Math.max(...rtts)).toBeLessThan(1000);
    expect(await metric(shaped.metrics, 'xmpp_edge_shaper_pauses_total')).toBeGreaterThan(0);
    flooder.c.close();
    other.c.close();
  });

  it('holds a flood over WebSocket (RFC 7395) the same way', async () => {
    const wsPort = await freePort();
    await edge({ SHAPER_BYTES_PER_SEC: '20000', SHAPER_BURST_BYTES: '4096', WS_PORT: String(wsPort) });
    await waitForPort(wsPort, 30000);
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/xmpp-websocket`, 'xmpp');
    const answers: number[] = [];
    ws.on('message', (d) => {
      const id = /id=["']r(\d+)["']/.exec(d.toString())?.[1];
      if (id !== undefined) answers.push(Number(id));
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`);
    // 60 × ~2 KB requests for the registration form (XEP-0077), then one more
    // behind them: what one read brings in (up to 64 KiB, all its frames) is
    // handled at once and the next read waits for the debt, so at 20 kB/s after
    // a 4 KB burst the last answer comes after at least (124 − 4 − 64) KB / 20 kB/s ≈ 2.8 s.
    const request = (i: number, pad = '') => ws.send(`<iq xmlns='jabber:client' type='get' id='r${i}' pad='${pad}'><query xmlns='jabber:iq:register'/></iq>`);
    const t0 = Date.now();
    for (let i = 0; i < 60; i++) request(i, 'z'.repeat(2000));
    await new Promise((r) => setTimeout(r, 100));
    request(60);
    await expect.poll(() => answers.length, { timeout: 30000, interval: 50 }).toBe(61);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    expect(answers).toEqual(Array.from({ length: 61 }, (_, i) => i));
    ws.terminate();
  });

  it('does not slow the same flood on an edge without it', async () => {
    const [port] = stack.edgePorts;
    const flooder = await user(port);
    const { ms, order } = await flood(flooder.c, flooder.jid, 30, 2000);
    expect(order.length).toBe(30);
    expect(ms).toBeLessThan(2500);
    flooder.c.close();
  });
});

describe('unread output (MAX_SEND_BUFFER_BYTES)', () => {
  it('closes a client that stops reading with resource-constraint; its sender and others carry on', async () => {
    const limited = await edge({ MAX_SEND_BUFFER_BYTES: '65536', SHAPER_BYTES_PER_SEC: '0' });
    const [port] = stack.edgePorts;
    const reader = await user(limited.port);
    const sender = await user(port);
    const other = await user(port);
    reader.c.socket.pause(); // stops reading: the kernel buffers fill, then the edge's
    const pad = 'y'.repeat(4000);
    // Far more than the loopback socket buffers hold (a few MB), in slices.
    for (let i = 0; i < 40 && (await metric(limited.metrics, 'xmpp_edge_limits_total{limit="send-buffer"}')) === 0; i++) {
      sender.c.send(Array.from({ length: 100 }, (_, j) => chat(reader.jid, i * 100 + j, pad)).join(''));
      expect(await ping(sender.c, `s${i}`, 10000)).toBeLessThan(10000);
    }
    await expect.poll(() => metric(limited.metrics, 'xmpp_edge_limits_total{limit="send-buffer"}'), { timeout: 10000 }).toBe(1);
    reader.c.socket.resume();
    const err = await reader.c.until((el) => el.name === 'stream:error', 15000);
    expect(err.getChild('resource-constraint')).toBeDefined();
    await reader.c.closed;
    // The sender and another client go on as before.
    expect(await ping(sender.c, 'after', 10000)).toBeLessThan(10000);
    sender.c.send(`<message type='chat' to='${other.jid}' id='hello'><body>still here</body></message>`);
    expect((await other.c.until((el) => el.name === 'message')).getChildText('body')).toBe('still here');
    // Messages to the reader now go the RFC 6121 way (offline storage, then errors), not to a dead socket.
    sender.c.send(chat(reader.jid.split('/')[0], 9999, 'later'));
    expect(await ping(sender.c, 'last', 10000)).toBeLessThan(10000);
    sender.c.close();
    other.c.close();
  }, 90_000);
});

describe('graceful shutdown (SIGTERM)', () => {
  async function shutdown(env: Record<string, string>): Promise<Element> {
    const e = await edge(env);
    const { c } = await user(e.port);
    const t0 = Date.now();
    const stopped = e.proc.stop('SIGTERM');
    const err = await c.until((el) => el.name === 'stream:error', 10000);
    await c.closed;
    await stopped;
    expect(e.proc.child.exitCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
    return err;
  }

  it('tells clients system-shutdown by default', async () => {
    const err = await shutdown({});
    expect(err.getChild('system-shutdown')).toBeDefined();
  });

  it('tells clients see-other-host with SHUTDOWN_REDIRECT (RFC 6120 §4.9.3.19)', async () => {
    const err = await shutdown({ SHUTDOWN_REDIRECT: 'xmpp2.example.net:5222' });
    expect(err.getChild('see-other-host')?.getText()).toBe('xmpp2.example.net:5222');
    expect(err.getChild('system-shutdown')).toBeUndefined();
  });
});
