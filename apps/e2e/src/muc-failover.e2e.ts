// Group chat survives the loss of the router replica that owns a room
// (issue 13): two routers, two edges, occupants on both. While one occupant
// sends a stream of groupchat messages, the replica holding the room's
// partition is SIGKILLed; the other takes the lease over after MUC_LEASE_MS
// and reads on from the last message the dead one finished. Every message
// sent after the kill reaches every occupant exactly once and in order;
// occupants stay joined (self-ping answers, nobody rejoins, no 332). The
// killed replica then comes back and takes its share of partitions back
// while messages keep flowing: the handover keeps the order too. This file
// runs its own stack so it can kill a router.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { connectBus, partitionedNames, partitionOf, type Bus } from '@cx/bus';
import { TestSessions, type RawClient } from '@cx/testing';
import { startStack, waitForPort, type Proc, type Stack } from '@cx/stack';
import type { Element } from '@cx/xmpp-core';

const PARTITIONS = 16;
/** The muc module's partitioned inbox (@cx/muc MUC_PARTITIONED). */
const MUC_PARTITIONED = 'muc';
const dataDir = mkdtempSync(join(tmpdir(), 'cx-mucfail-'));
let stack: Stack;
let bus: Bus;

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    routers: 2,
    edges: 2,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: { REGISTRATION_OPEN: 'true', ALLOW_PLAINTEXT_AUTH: 'true', LOG_LEVEL: 'info', MUC_LEASE_MS: '2000', MUC_PARTITIONS: String(PARTITIONS) },
  });
  bus = await connectBus({ servers: stack.nats.url, name: 'e2e', log: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MUC = 'http://jabber.org/protocol/muc';
const USER = `${MUC}#user`;

/** The lease holders of every partition (replica id → count). */
async function owners(): Promise<Map<string, string>> {
  const kv = await bus.bucket(partitionedNames(MUC_PARTITIONED).bucket);
  const out = new Map<string, string>();
  for (let p = 0; p < PARTITIONS; p++) {
    const e = await kv.get(`p.${p}`);
    if (e?.value.length) out.set(String(p), (JSON.parse(e.string()) as { owner: string }).owner);
  }
  return out;
}

/** Both router replicas up and sharing the partitions. */
async function bothShare(): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    const held = [...(await owners()).values()];
    if (new Set(held).size === 2 && held.length === PARTITIONS) return;
    if (Date.now() > end) throw new Error(`partitions not shared: ${held.join(',')}`);
    await sleep(200);
  }
}

/** Everything a client receives, kept in arrival order; iq answers and presences are looked up in it. */
function recorder(c: RawClient) {
  const seen: Element[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const r = await c.next(300).catch(() => undefined);
      if (!r) continue;
      if (r.kind === 'closed' || r.kind === 'end') return;
      if (r.kind === 'element') seen.push(r.el);
    }
  })();
  const waitFor = async (pred: (el: Element) => boolean, ms = 10_000): Promise<Element> => {
    const end = Date.now() + ms;
    for (;;) {
      const hit = seen.find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`not received in ${ms} ms`);
      await sleep(20);
    }
  };
  const bodies = (from: string) =>
    seen.filter((el) => el.name === 'message' && el.attrs.from === from && el.attrs.type === 'groupchat').map((el) => Number(el.getChildText('body')));
  return { seen, waitFor, bodies, stop: () => ((stopped = true), done) };
}

let ids = 0;
function ping(c: RawClient, to: string): string {
  const id = `sp${++ids}`;
  c.send(`<iq type='get' id='${id}' to='${to}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  return id;
}

describe('MUC: a room survives the SIGKILL of the replica that owns it', () => {
  it('delivers every message sent after the kill exactly once, in order, to every occupant; occupants stay joined', async () => {
    const routers = stack.procs.filter((p) => p.name === 'router');
    await bothShare();
    const local = `room-${randomUUID().slice(0, 8)}`;
    const room = `${local}@conference.localhost`;
    const holder = (await owners()).get(String(partitionOf(local, PARTITIONS))) as string;
    const pid = Number(holder.split('-').at(-2));
    const victim = routers.find((r) => r.child.pid === pid) as Proc;
    expect(victim, `owner ${holder}`).toBeTruthy();
    const survivor = routers.find((r) => r !== victim) as Proc;
    // The edge whose router survives carries the sender (its stanzas keep flowing); the other edge's occupant only receives.
    const onSurvivor = stack.edges.findIndex((e) => e.env.ROUTER_ADDR.endsWith(`:${survivor.env.ROUTER_GRPC_PORT}`));
    const [portS, portV] = [stack.edgePorts[onSurvivor], stack.edgePorts[1 - onSurvivor]];

    const t = new TestSessions(portS);
    const [sa, sb, sc] = [await t.account('mfown'), await t.account('mfsend'), await t.account('mfother')];
    const owner = await t.login(portS, sa.name, { presence: true });
    const sender = await t.login(portS, sb.name, { presence: true });
    const other = await t.login(portV, sc.name, { presence: true });
    const recs = { owner: recorder(owner.c), sender: recorder(sender.c), other: recorder(other.c) };
    owner.c.send(`<presence to='${room}/own'><x xmlns='${MUC}'/></presence>`);
    await recs.owner.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/own`);
    owner.c.send(`<iq type='set' id='cfg' to='${room}'><query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
    await recs.owner.waitFor((el) => el.name === 'iq' && el.attrs.id === 'cfg');
    sender.c.send(`<presence to='${room}/send'><x xmlns='${MUC}'/></presence>`);
    other.c.send(`<presence to='${room}/other'><x xmlns='${MUC}'/></presence>`);
    await recs.sender.waitFor((el) => el.name === 'message' && el.attrs.from === room && !!el.getChild('subject'));
    await recs.other.waitFor((el) => el.name === 'message' && el.attrs.from === room && !!el.getChild('subject'));

    const say = (n: number) => sender.c.send(`<message type='groupchat' to='${room}' id='m${n}'><body>${n}</body></message>`);
    for (let n = 1; n <= 20; n++) {
      say(n);
      await sleep(20);
    }
    const killed = new Promise((r) => victim.child.once('exit', r));
    victim.child.kill('SIGKILL');
    await killed;
    const KILLED_AFTER = 20;
    for (let n = 21; n <= 60; n++) {
      say(n);
      await sleep(25);
    }
    // Self-ping while only the survivor runs: the room (now on the survivor) still knows its occupants.
    const pingSend = ping(sender.c, `${room}/send`);
    const pingSendAnswer = await recs.sender.waitFor((el) => el.name === 'iq' && el.attrs.id === pingSend, 15_000);
    expect(pingSendAnswer.attrs.type).toBe('result');
    // It was the survivor that answered: it holds the room's partition now.
    const now = (await owners()).get(String(partitionOf(local, PARTITIONS))) as string;
    expect(Number(now.split('-').at(-2))).toBe(survivor.child.pid);

    // The killed replica comes back (as Kubernetes restarts it) and takes its share back while messages flow.
    const back = stack.restart(victim);
    await waitForPort(Number(back.env.ROUTER_GRPC_PORT), 30_000);
    for (let n = 61; n <= 100; n++) {
      say(n);
      await sleep(25);
    }
    const pingOther = ping(other.c, `${room}/other`);
    expect((await recs.other.waitFor((el) => el.name === 'iq' && el.attrs.id === pingOther, 15_000)).attrs.type).toBe('result');

    const from = `${room}/send`;
    for (const [who, r] of Object.entries(recs)) {
      const deadline = Date.now() + 20_000;
      while (!Array.from({ length: 100 }, (_, i) => i + 1).every((n) => r.bodies(from).includes(n)) && Date.now() < deadline) await sleep(100);
      const got = r.bodies(from);
      const after = got.filter((n) => n > KILLED_AFTER);
      expect(after, who).toEqual(Array.from({ length: 100 - KILLED_AFTER }, (_, i) => i + 1 + KILLED_AFTER));
      // Before the kill: every one arrived (at least once; one the dead replica sent but had not recorded may come again).
      expect(new Set(got.filter((n) => n <= KILLED_AFTER)).size, who).toBe(KILLED_AFTER);
    }
    // Nobody was told they left: no unavailable from the room, no 332.
    for (const r of Object.values(recs)) {
      const gone = r.seen.filter((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from?.startsWith(`${room}/`));
      expect(gone).toEqual([]);
      expect(
        r.seen.some((el) =>
          el
            .getChild('x', USER)
            ?.getChildren('status')
            .some((s) => s.attrs.code === '332'),
        ),
      ).toBe(false);
    }
    await Promise.all(Object.values(recs).map((r) => r.stop()));
    t.closeAll();
  }, 120_000);

  it('on SIGTERM the owner hands the room over at once: no message lost, none twice, none out of order', async () => {
    const routers = stack.procs.filter((p) => p.name === 'router');
    await bothShare();
    const local = `room-${randomUUID().slice(0, 8)}`;
    const room = `${local}@conference.localhost`;
    const holder = (await owners()).get(String(partitionOf(local, PARTITIONS))) as string;
    const leaving = routers.find((r) => r.child.pid === Number(holder.split('-').at(-2))) as Proc;
    const staying = routers.find((r) => r !== leaving) as Proc;
    const onStaying = stack.edges.findIndex((e) => e.env.ROUTER_ADDR.endsWith(`:${staying.env.ROUTER_GRPC_PORT}`));
    const port = stack.edgePorts[onStaying];
    const t = new TestSessions(port);
    const [sa, sb] = [await t.account('mtown'), await t.account('mtpeer')];
    const a = await t.login(port, sa.name, { presence: true });
    const b = await t.login(stack.edgePorts[1 - onStaying], sb.name, { presence: true });
    const ra = recorder(a.c);
    const rb = recorder(b.c);
    a.c.send(`<presence to='${room}/a'><x xmlns='${MUC}'/></presence>`);
    await ra.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/a`);
    a.c.send(`<iq type='set' id='cfg2' to='${room}'><query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
    await ra.waitFor((el) => el.name === 'iq' && el.attrs.id === 'cfg2');
    b.c.send(`<presence to='${room}/b'><x xmlns='${MUC}'/></presence>`);
    await rb.waitFor((el) => el.name === 'message' && el.attrs.from === room && !!el.getChild('subject'));
    const say = (n: number) => a.c.send(`<message type='groupchat' to='${room}' id='t${n}'><body>${n}</body></message>`);
    for (let n = 1; n <= 20; n++) {
      say(n);
      await sleep(20);
    }
    const exited = new Promise((r) => leaving.child.once('exit', r));
    leaving.child.kill('SIGTERM');
    const termAt = Date.now();
    say(21);
    const first = await rb.waitFor((el) => el.name === 'message' && el.getChildText('body') === '21', 10_000);
    // Handed over, not waited out: well within MUC_LEASE_MS (2 s).
    expect(Date.now() - termAt).toBeLessThan(1500);
    expect(first).toBeTruthy();
    for (let n = 22; n <= 40; n++) {
      say(n);
      await sleep(20);
    }
    await exited;
    const back = stack.restart(leaving);
    await waitForPort(Number(back.env.ROUTER_GRPC_PORT), 30_000);
    for (const r of [ra, rb]) {
      const deadline = Date.now() + 15_000;
      while (r.bodies(`${room}/a`).length < 40 && Date.now() < deadline) await sleep(100);
      expect(r.bodies(`${room}/a`)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
    await Promise.all([ra.stop(), rb.stop()]);
    t.closeAll();
  }, 120_000);
});
