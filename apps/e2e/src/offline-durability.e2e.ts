// Offline messages (XEP-0160) leave storage only once they reached the
// client: written to its socket (no stream management) or acknowledged by its
// <a h/> (XEP-0198), and a stream-managed session is resumable from <enabled/>
// on (issue 10, item 3). Each case stores messages for an offline user, kills
// a process (SIGKILL) or resets the client during the hand-over, logs the
// user in again and counts by id: every message arrives (copies are allowed,
// the client drops them by id), and storage is empty afterwards. This file
// runs its own stack (two edges) so it can kill parts of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { authenticate, login, RawClient, register, uniqueName } from '@cx/testing';
import { encodeKey } from '@cx/bus';
import { startStack, waitForPort, type Proc, type Stack } from '@cx/stack';

const SM = "xmlns='urn:xmpp:sm:3'";
const RESOURCE = 'phone';
let stack: Stack;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-offline-durability-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    edges: 2,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: {
      REGISTRATION_OPEN: 'true',
      ALLOW_PLAINTEXT_AUTH: 'true',
      LOG_LEVEL: 'warn',
      EDGE_TTL_MS: '2000',
      HEARTBEAT_INTERVAL_MS: '500',
      EDGE_SWEEP_INTERVAL_MS: '500',
      SM_RESUME_TIMEOUT_S: '6',
      SM_HANDOVER_GRACE_MS: '1000',
    },
  });
  nc = await connect({ servers: stack.nats.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The offline store's stream and a user's subject in it (libs/im/offline/src/stream.ts). */
const OFFLINE_STREAM = 'xmpp_offline';

async function stored(user: string): Promise<number> {
  const subject = `xmpp.offline.${encodeKey(`${user}@localhost`)}`;
  const info = await jsm.streams.info(OFFLINE_STREAM, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A recipient and a sender; `n` messages (ids `<tag>-<i>`) stored for the offline recipient. */
async function storeFor(n: number, tag: string): Promise<{ user: string; ids: string[] }> {
  const [user, sender] = [uniqueName('off'), uniqueName('snd')];
  await register(stack.edgePorts[0], user, 'pw');
  await register(stack.edgePorts[0], sender, 'pw');
  const s = await login(stack.edgePorts[0], sender, 'pw');
  const ids = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  s.c.send(ids.map((id) => `<message to='${user}@localhost' type='chat' id='${id}'><body>${id}</body></message>`).join(''));
  await until(`${n} stored`, async () => (await stored(user)) === n);
  s.c.close();
  return { user, ids };
}

/**
 * Read everything a client receives in the background: the ids of messages
 * with `tag`, and (after <enabled/> or <resumed/>) the stanza count from
 * `base` on, with which it answers <r/> when `ack` is set.
 */
function collect(c: RawClient, tag: string, ack = false, base = 0) {
  const ids = new Set<string>();
  const seen = { h: base, counting: false, enabled: undefined as string | undefined, enabledAt: 0 };
  const waiters: Array<() => void> = [];
  const done = (async () => {
    for (;;) {
      const r = await c.next(120_000).catch(() => undefined);
      if (!r || r.kind === 'closed' || r.kind === 'end') return;
      if (r.kind !== 'element') continue;
      const el = r.el;
      if (el.name === 'enabled' || el.name === 'resumed') {
        seen.counting = true;
        seen.enabled = el.attrs.id ?? el.attrs.previd;
        seen.enabledAt = Date.now();
      }
      if (seen.counting && ['message', 'presence', 'iq'].includes(el.name)) seen.h++;
      if (el.name === 'message' && el.attrs.id?.startsWith(`${tag}-`)) ids.add(el.attrs.id);
      if (el.name === 'r' && ack) c.send(`<a ${SM} h='${seen.h}'/>`);
      waiters.splice(0).forEach((w) => w());
    }
  })();
  const waitFor = async (ok: () => boolean, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    while (!ok() && Date.now() < end) await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 100)));
  };
  return { ids, seen, done, waitFor };
}

/** Stream, SASL and bind of `resource`, no presence yet. */
async function bound(port: number, user: string): Promise<RawClient> {
  const c = await authOnly(port, user);
  c.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${RESOURCE}</resource></bind></iq>`);
  expect((await c.until((el) => el.name === 'iq')).attrs.type).toBe('result');
  return c;
}

async function authOnly(port: number, user: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.open();
  expect((await authenticate(c, user, 'pw', 'SCRAM-SHA-1')).name).toBe('success');
  await c.open();
  return c;
}

/** Log in again with presence (retried while the restarted router is not reachable yet) and collect until every id is there. */
async function again(port: number, user: string, tag: string, have: Set<string>, ids: string[]): Promise<Set<string>> {
  for (let attempt = 0; ; attempt++) {
    const c = await bound(port, user);
    const got = collect(c, tag);
    c.send('<presence/>');
    await got.waitFor(() => ids.every((id) => have.has(id) || got.ids.has(id)), 8000);
    const all = new Set([...have, ...got.ids]);
    if (ids.every((id) => all.has(id)) || attempt >= 2) {
      c.close();
      return all;
    }
    c.destroy();
  }
}

/**
 * Run `fault` the moment the hand-over starts removing stored messages (the
 * old code deleted before delivering), or after `maxMs` when nothing is removed yet.
 */
async function whenHandingOver(user: string, n: number, maxMs: number, fault: () => void): Promise<void> {
  const end = Date.now() + maxMs;
  while (Date.now() < end && (await stored(user)) >= n);
  fault();
}

const missing = (ids: string[], got: Set<string>) => ids.filter((id) => !got.has(id));

async function restart(p: Proc, port: number): Promise<void> {
  stack.restart(p);
  await waitForPort(port, 30_000);
}

describe('offline messages survive a fault during their hand-over', () => {
  it('(a) router SIGKILLed right after the initial presence: all 100 arrive at the next login', async () => {
    const { user, ids } = await storeFor(100, 'a');
    const port = stack.edgePorts[0];
    const c = await bound(port, user);
    const first = collect(c, 'a');
    const router = stack.procs.find((p) => p.name === 'router') as Proc;
    c.send('<presence/>');
    await whenHandingOver(user, 100, 300, () => router.child.kill('SIGKILL'));
    await sleep(300);
    c.destroy();
    await restart(router, Number(router.env.ROUTER_GRPC_PORT));
    const all = await again(port, user, 'a', first.ids, ids);
    expect(missing(ids, all)).toEqual([]);
    await until('storage emptied', async () => (await stored(user)) === 0);
  }, 90_000);

  it("(b) the recipient's edge SIGKILLed 20 ms after its initial presence: all 50 arrive on the other edge", async () => {
    const { user, ids } = await storeFor(50, 'b');
    const [portA, portB] = stack.edgePorts;
    const c = await bound(portB, user);
    const first = collect(c, 'b');
    c.send('<presence/>');
    await sleep(20);
    const edgeB = stack.edges[1];
    edgeB.child.kill('SIGKILL');
    const all = await again(portA, user, 'b', first.ids, ids);
    expect(missing(ids, all)).toEqual([]);
    await until('storage emptied', async () => (await stored(user)) === 0);
    await restart(edgeB, portB);
  }, 90_000);

  it('(c) without stream management, the connection reset within 50 ms of presence: the two connections together got all 100', async () => {
    const { user, ids } = await storeFor(100, 'c');
    const port = stack.edgePorts[0];
    const c = await bound(port, user);
    const first = collect(c, 'c');
    c.send('<presence/>');
    await whenHandingOver(user, 100, 50, () => c.socket.resetAndDestroy());
    await sleep(300);
    const all = await again(port, user, 'c', first.ids, ids);
    expect(missing(ids, all)).toEqual([]);
    await until('storage emptied', async () => (await stored(user)) === 0);
  }, 90_000);

  it('(d) with stream management, the edge SIGKILLed 50 ms after <enabled/>: <resume/> on the other edge succeeds and all 50 arrive', async () => {
    const { user, ids } = await storeFor(50, 'd');
    const [portA, portB] = stack.edgePorts;
    const c = await bound(portB, user);
    const first = collect(c, 'd');
    c.send(`<enable ${SM} resume='true'/>`);
    await first.waitFor(() => first.seen.enabled !== undefined, 5000);
    const previd = first.seen.enabled as string;
    expect(previd).toBeTruthy();
    c.send('<presence/>');
    await sleep(Math.max(0, first.seen.enabledAt + 50 - Date.now()));
    const edgeB = stack.edges[1];
    edgeB.child.kill('SIGKILL');
    await sleep(500);
    const h = first.seen.h;
    const r = await authOnly(portA, user);
    const second = collect(r, 'd', true, h);
    r.send(`<resume ${SM} previd='${previd}' h='${h}'/>`);
    await second.waitFor(() => second.seen.counting, 10_000);
    expect(r.raw).toContain('<resumed');
    await second.waitFor(() => ids.every((id) => first.ids.has(id) || second.ids.has(id)), 10_000);
    expect(missing(ids, new Set([...first.ids, ...second.ids]))).toEqual([]);
    // Acknowledged now: they leave storage.
    r.send(`<a ${SM} h='${second.seen.h}'/>`);
    await until('storage emptied', async () => (await stored(user)) === 0);
    r.close();
    await restart(edgeB, portB);
  }, 90_000);

  it('(e) a stream-managed session that ends with stored messages unacknowledged: they stay stored once, not stored again as copies', async () => {
    const { user, ids } = await storeFor(30, 'e');
    const port = stack.edgePorts[0];
    const c = await bound(port, user);
    const first = collect(c, 'e');
    c.send(`<enable ${SM} resume='true'/>`);
    await first.waitFor(() => first.seen.enabled !== undefined, 5000);
    c.send('<presence/>');
    await first.waitFor(() => first.ids.size === ids.length, 5000);
    // Never acknowledged; nobody resumes: the session times out (6 s) and the router's rescue runs.
    c.destroy();
    await sleep(6000 + 3000);
    expect(await stored(user)).toBe(ids.length);
    const next = await bound(port, user);
    const got: string[] = [];
    next.send('<presence/>');
    for (;;) {
      const el = await next.until((e) => e.name === 'message', 3000).catch(() => undefined);
      if (!el) break;
      if (el.attrs.id?.startsWith('e-')) got.push(el.attrs.id);
    }
    expect([...got].sort()).toEqual([...ids].sort()); // each once
    await until('storage emptied', async () => (await stored(user)) === 0);
    next.close();
  }, 60_000);
});
