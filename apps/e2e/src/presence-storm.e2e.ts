// The presence storm of issue 11: users whose rosters hold each other all log
// in at once, and each must end up with the available presence of every
// contact (RFC 6121 §4.2: the broadcast to contacts and the answers to the
// probes together guarantee it). Two edges on two router replicas, so a
// session's broadcast and its contact's probe are often handled by different
// routers, each with its own mirror of the session registry; rounds run while
// other sessions log in and out, as the race showed itself on a busy server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import { startStack, type Stack } from '@cx/stack';

const N = 50;
const PW = 'pw';
const WAIT_MS = 10_000;
let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-storm-'));
const users = Array.from({ length: N }, (_, i) => uniqueName(`st${i}`));
const bare = (u: string) => `${u}@localhost`;
const port = (i: number) => stack.edgePorts[i % stack.edgePorts.length];

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    edges: 2,
    routers: 2,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: { REGISTRATION_OPEN: 'true', ALLOW_PLAINTEXT_AUTH: 'true', LOG_LEVEL: 'warn' },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A roster get, answered; its items by JID (pushes and presences in between are skipped). */
async function roster(c: RawClient, id: string): Promise<Map<string, Record<string, string>>> {
  c.send(`<iq type='get' id='${id}'><query xmlns='jabber:iq:roster'/></iq>`);
  const res = await c.until((el) => el.name === 'iq' && el.attrs.id === id, 60_000);
  return new Map((res.getChild('query')?.getChildren('item') ?? []).map((it) => [it.attrs.jid as string, it.attrs as Record<string, string>]));
}

/** Ask each client's roster until `ok` holds for every contact (the subscription steps are asynchronous). */
async function until(clients: RawClient[], ok: (item: Record<string, string> | undefined) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (let round = 0; ; round++) {
    await new Promise((r) => setTimeout(r, 1000));
    const done = await Promise.all(
      clients.map(async (c, i) => {
        const items = await roster(c, `r${round}-${i}`);
        return users.every((u, j) => j === i || ok(items.get(bare(u))));
      }),
    );
    if (done.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${done.filter((d) => !d).length} rosters not done`);
  }
}

/** Reads one client's stanzas until it has the available presence of every contact; the contacts missing after `deadline`. */
async function collect(c: RawClient, self: string, deadline: number): Promise<string[]> {
  const want = new Set(users.filter((u) => u !== self).map(bare));
  while (want.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const r = await c.next(left).catch(() => undefined);
    if (!r) break;
    if (r.kind !== 'element' || r.el.name !== 'presence' || r.el.attrs.type !== undefined) continue;
    want.delete(String(r.el.attrs.from).split('/')[0]);
  }
  return [...want];
}

/** Other sessions logging in (with presence) and out until stopped: a busy server. */
function churn(n: number): { stop: () => Promise<number> } {
  let stopped = false;
  let logins = 0;
  const names = Array.from({ length: n }, (_, i) => uniqueName(`busy${i}`));
  const loops = names.map(async (name, i) => {
    await register(port(i), name, PW);
    while (!stopped) {
      const { c } = await login(port(i), name, PW, { presence: true });
      logins++;
      c.close();
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return logins;
    },
  };
}

describe('presence storm (issue 11)', () => {
  it('50 mutual contacts log in at once, again and again, on a busy server: each gets every contact’s presence', async () => {
    await Promise.all(users.map((u, i) => register(port(i), u, PW)));
    // Full mutual rosters through XMPP: pre-approve everyone, then subscribe to everyone (answered at once, §3.4).
    let clients = (await Promise.all(users.map((u, i) => login(port(i), u, PW)))).map((l) => l.c);
    clients.forEach((c, i) =>
      c.send(
        users
          .filter((_, j) => j !== i)
          .map((u) => `<presence to='${bare(u)}' type='subscribed'/>`)
          .join(''),
      ),
    );
    await until(clients, (it) => it?.approved === 'true' || it?.subscription === 'from' || it?.subscription === 'both', 'pre-approval');
    clients.forEach((c, i) =>
      c.send(
        users
          .filter((_, j) => j !== i)
          .map((u) => `<presence to='${bare(u)}' type='subscribe'/>`)
          .join(''),
      ),
    );
    await until(clients, (it) => it?.subscription === 'both', 'subscription both');
    clients.forEach((c) => c.close());

    const rounds: { busy: boolean; missing: number; examples: string[] }[] = [];
    for (const busy of [false, true, true, true]) {
      await new Promise((r) => setTimeout(r, 500)); // every session of the last round has ended
      const load = busy ? churn(20) : undefined;
      if (load) await new Promise((r) => setTimeout(r, 300));
      clients = (await Promise.all(users.map((u, i) => login(port(i), u, PW)))).map((l) => l.c);
      const deadline = Date.now() + WAIT_MS;
      clients.forEach((c) => c.send('<presence/>'));
      const missing = await Promise.all(clients.map((c, i) => collect(c, users[i], deadline)));
      const logins = load ? await load.stop() : 0;
      const examples = missing.flatMap((m, i) => m.map((b) => `${users[i]} lacks ${b}`)).slice(0, 5);
      rounds.push({ busy, missing: missing.reduce((n, m) => n + m.length, 0), examples });
      if (busy) expect(logins).toBeGreaterThan(0);
      clients.forEach((c) => c.close());
    }
    expect(rounds).toEqual(rounds.map((r) => ({ busy: r.busy, missing: 0, examples: [] })));
  }, 240_000);
});
