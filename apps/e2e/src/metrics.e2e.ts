// Prometheus /metrics of every service after real traffic: logins by
// mechanism and result, stanzas routed by kind and their latency, the offline
// queue, who is online, connections by transport, NATS connectivity. This
// file runs its own stack so each process has a METRICS_PORT of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, register, uniqueName } from '@cx/testing';
import { startStack, type Stack } from '@cx/stack';
import { scrapePort } from './prometheus';

let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-metrics-'));

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    metrics: true,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: { REGISTRATION_OPEN: 'true', LOG_LEVEL: 'warn', ALLOW_PLAINTEXT_AUTH: 'true' },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function scrape(name: string): Promise<Map<string, number>> {
  return scrapePort(stack.procs.find((x) => x.name === name)?.metricsPort);
}

describe('metrics', () => {
  it('count what a login, a chat and an offline message did', async () => {
    const [port] = stack.edgePorts;
    const [alice, bob, carol] = [uniqueName('alice'), uniqueName('bob'), uniqueName('carol')];
    for (const u of [alice, bob, carol]) await register(port!, u, 'pw');
    const al = await login(port!, alice, 'pw', { presence: true, mechanism: 'SCRAM-SHA-256' });
    const bo = await login(port!, bob, 'pw', { presence: true, mechanism: 'PLAIN' });
    await expect(login(port!, carol, 'wrong', { mechanism: 'PLAIN' })).rejects.toThrow(/not-authorized/);
    al.c.send(`<message to='${bob}@localhost' type='chat' id='m1'><body>hi</body></message>`);
    await bo.c.until((el) => el.name === 'message' && el.attrs.id === 'm1');
    al.c.send(`<message to='${carol}@localhost' type='chat' id='m2'><body>for later</body></message>`);
    // (not a ping: the edge answers those itself)
    al.c.send(`<iq type='get' id='ver' to='localhost'><query xmlns='jabber:iq:version'/></iq>`);
    await al.c.until((el) => el.name === 'iq' && el.attrs.id === 'ver');

    const auth = await scrape('auth');
    expect(auth.get('xmpp_auth_logins_total{mechanism="SCRAM-SHA-256",result="success"}')).toBeGreaterThanOrEqual(1);
    expect(auth.get('xmpp_auth_logins_total{mechanism="PLAIN",result="success"}')).toBeGreaterThanOrEqual(1);
    expect(auth.get('xmpp_auth_logins_total{mechanism="PLAIN",result="not-authorized"}')).toBe(1);

    const router = await scrape('router');
    expect(router.get('xmpp_router_stanzas_routed_total{kind="message"}')).toBeGreaterThanOrEqual(2);
    expect(router.get('xmpp_router_stanzas_routed_total{kind="presence"}')).toBeGreaterThanOrEqual(2);
    expect(router.get('xmpp_router_stanzas_routed_total{kind="iq"}')).toBeGreaterThanOrEqual(1);
    const count = router.get('xmpp_router_stanza_seconds_count')!;
    expect(count).toBeGreaterThanOrEqual(5);
    expect(router.get('xmpp_router_stanza_seconds_sum')! / count).toBeLessThan(0.5); // a mean latency, not a timestamp
    expect(router.get('xmpp_router_stanza_seconds_bucket{le="+Inf"}')).toBe(count);
    expect(router.get('xmpp_offline_messages')).toBe(1);
    expect(router.get('xmpp_offline_users')).toBe(1);

    const session = await scrape('session');
    expect(session.get('xmpp_session_online{what="users"}')).toBe(2);
    expect(session.get('xmpp_session_online{what="sessions"}')).toBe(2);

    const edge = await scrape('edge');
    expect(edge.get('xmpp_edge_connections{transport="tcp"}')).toBeGreaterThanOrEqual(2); // and the failed login's, until it closes

    for (const name of ['auth', 'session', 'router', 'edge']) {
      const m = await scrape(name);
      expect(m.get('xmpp_nats_connected'), name).toBe(1);
      expect(m.get('xmpp_nats_disconnects_total') ?? 0, name).toBe(0);
    }
    al.c.close();
    bo.c.close();
    // carol takes her message: the queue is empty again once her edge reported it written (a moment after).
    const ca = await login(port!, carol, 'pw', { presence: true });
    await ca.c.until((el) => el.name === 'message' && el.attrs.id === 'm2');
    let left = 1;
    for (const until = Date.now() + 5000; left !== 0 && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      left = (await scrape('router')).get('xmpp_offline_messages') ?? -1;
    }
    expect(left).toBe(0);
    ca.c.close();
  });
});
