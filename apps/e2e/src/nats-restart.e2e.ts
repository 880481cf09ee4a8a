// nats-server SIGKILLed and restarted (same port, same data dir) twice while
// two stream-managed clients (XEP-0198) chat both ways: every message the
// sender got an `<a h>` for, and no error, arrives exactly once (by id), and
// delivery resumes within seconds after each restart. Before, the edge's
// ordered consumer on xmpp_sm was left unpulled for 20-45 s after a restart,
// and router batches published while JetStream was coming back were dropped.
// This file runs its own stack (its own NATS data dir) so it can kill NATS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import { startNats, startStack, type Stack } from '@cx/stack';

let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-nats-restart-'));
const logs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    onLine: (name: string, line: string) => {
      logs.push(`${name} ${line}`);
      if (process.env.E2E_VERBOSE) console.log(name, line);
    },
    env: { REGISTRATION_OPEN: 'true', LOG_LEVEL: 'warn', ALLOW_PLAINTEXT_AUTH: 'true', SM_RESUME_TIMEOUT_S: '30' },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One side of the chat: sends numbered messages, asks for acks, counts what arrives by id and acknowledges it. */
class Peer {
  sent: string[] = [];
  acked = 0;
  readonly errored = new Set<string>();
  readonly received = new Map<string, number>();
  /** When each id arrived. */
  readonly arrivedAt = new Map<string, number>();
  private inbound = 0;

  constructor(
    readonly name: string,
    readonly c: RawClient,
    readonly jid: string,
  ) {
    void this.read();
  }

  private async read(): Promise<void> {
    for (;;) {
      let el: Element;
      try {
        el = await this.c.element(3_600_000);
      } catch {
        return;
      }
      if (el.name === 'a') this.acked = Math.max(this.acked, Number(el.attrs.h));
      else if (el.name === 'r') this.c.send(`<a xmlns='urn:xmpp:sm:3' h='${this.inbound}'/>`);
      else if (['message', 'presence', 'iq'].includes(el.name)) {
        this.inbound++;
        if (el.name !== 'message') continue;
        const id = el.attrs.id as string;
        if (el.attrs.type === 'error') this.errored.add(id);
        else if (id?.startsWith('m-')) {
          this.received.set(id, (this.received.get(id) ?? 0) + 1);
          if (!this.arrivedAt.has(id)) this.arrivedAt.set(id, Date.now());
        }
      }
    }
  }

  send(to: Peer): void {
    const id = `m-${this.name}-${this.sent.length}`;
    this.sent.push(id);
    this.c.send(`<message to='${to.jid}' type='chat' id='${id}'><body>${id}</body></message><r xmlns='urn:xmpp:sm:3'/>`);
  }

  /** The ids the server acknowledged (<a h> counts our stanzas since <enable/>: all are messages) and did not bounce. */
  promised(): string[] {
    return this.sent.slice(0, this.acked).filter((id) => !this.errored.has(id));
  }
}

async function smLogin(port: number, user: string, name: string): Promise<Peer> {
  const s = await login(port, user, 'pw', { presence: true });
  s.c.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
  await s.c.until((el) => el.name === 'enabled');
  return new Peer(name, s.c, s.jid);
}

async function killNats(): Promise<void> {
  const child = stack.nats.child;
  child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
}

async function restartNats(): Promise<void> {
  const nats = await startNats({ dataDir, port: stack.nats.port, onLine: (l) => logs.push(`nats ${l}`) });
  stack.nats.stop = nats.stop;
  stack.nats.child = nats.child;
}

describe('nats-server SIGKILLed and restarted', () => {
  it('loses nothing acknowledged to stream-managed clients and delivery resumes within seconds', async () => {
    const [port] = stack.edgePorts;
    const [alice, bob] = ['alice', 'bob'].map((n) => uniqueName(n));
    for (const u of [alice, bob]) await register(port!, u!, 'pw');
    const a = await smLogin(port!, alice!, 'a');
    const b = await smLogin(port!, bob!, 'b');

    // 25 messages/s each way, for the whole test.
    const sender = setInterval(() => {
      a.send(b);
      b.send(a);
    }, 40);
    const resumedAfterMs: number[] = [];
    try {
      await sleep(2000);
      for (let round = 0; round < 2; round++) {
        await killNats();
        await sleep(1000);
        await restartNats();
        const back = Date.now();
        // Delivery resumed: a message sent after NATS is back arrives.
        const firstAfter = [a.sent.length, b.sent.length];
        const resumed = () =>
          [...a.arrivedAt.keys()].some((id) => Number(id.split('-')[2]) >= firstAfter[1]!) &&
          [...b.arrivedAt.keys()].some((id) => Number(id.split('-')[2]) >= firstAfter[0]!);
        while (!resumed() && Date.now() - back < 20_000) await sleep(50);
        resumedAfterMs.push(Date.now() - back);
        await sleep(3000);
      }
    } finally {
      clearInterval(sender);
    }
    // Final acks, then what was promised must arrive within 10 s.
    for (const p of [a, b]) p.c.send(`<r xmlns='urn:xmpp:sm:3'/>`);
    const until = Date.now() + 10_000;
    const missing = () => [...a.promised().filter((id) => !b.received.has(id)), ...b.promised().filter((id) => !a.received.has(id))];
    while (missing().length && Date.now() < until) await sleep(100);
    await sleep(300);

    const duplicated = [...a.received, ...b.received].filter(([, n]) => n > 1).map(([id]) => id);
    const summary = {
      sent: a.sent.length + b.sent.length,
      promised: a.promised().length + b.promised().length,
      errored: a.errored.size + b.errored.size,
      delivered: a.received.size + b.received.size,
      lost: missing().length,
      duplicated: duplicated.length,
      resumedAfterMs,
    };
    console.log('nats-restart', JSON.stringify(summary));
    expect(missing()).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(summary.promised).toBeGreaterThan(summary.sent / 2);
    for (const ms of resumedAfterMs) expect(ms).toBeLessThan(8000);
    expect(logs.filter((l) => /"level":"(fatal)"|Uncaught|TypeError/.test(l))).toEqual([]);
    a.c.close();
    b.c.close();
  }, 120_000);
});
