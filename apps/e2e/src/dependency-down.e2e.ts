// Auth or session down is never silence: with either SIGKILLed, a client's
// <auth/> gets temporary-auth-failure (RFC 6120 §6.5.12), its bind an error of
// type wait, <enable/> and <resume/> a <failed/> (XEP-0198), all within the
// edge's deadline (set short here) or at once, while the sessions already
// online go on exchanging messages. Once the service is back, logins, binds and
// resumptions work again, a resumption that failed meanwhile included (the
// session stayed resumable), and a bind that timed out leaves no session
// registered. This file runs its own stack so it can kill parts of it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, login, RawClient, register, uniqueName } from '@cx/testing';
import type { Element } from '@cx/xmpp-core';
import { startStack, waitForPort, type Proc, type Stack } from '@cx/stack';
import { scrapePort } from './prometheus';

let stack: Stack;
const exec = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'cx-dependency-down-'));
const TIMEOUT_MS = 2000;
/** What the client may wait at most: the deadline plus slack for a loaded machine. */
const BOUND_MS = 8000;
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SM = 'urn:xmpp:sm:3';

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    metrics: true,
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
    env: {
      REGISTRATION_OPEN: 'true',
      ALLOW_PLAINTEXT_AUTH: 'true',
      LOG_LEVEL: 'warn',
      ACCOUNT_CACHE_SIZE: '0',
      AUTH_SERVICE_TIMEOUT_MS: String(TIMEOUT_MS),
      SESSION_SERVICE_TIMEOUT_MS: String(TIMEOUT_MS),
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function proc(name: string): Proc {
  return stack.procs.find((p) => p.name === name) as Proc;
}

async function kill(name: string): Promise<Proc> {
  const p = proc(name);
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await exited;
  // Past the moment the edge's streams to it break (what was in flight then fails at once, even before).
  await new Promise((r) => setTimeout(r, 1000));
  return p;
}

async function restart(p: Proc, portVar: string): Promise<void> {
  stack.restart(p);
  await waitForPort(Number(p.env[portVar]));
}

function report(line: string): void {
  if (process.env.E2E_VERBOSE || process.env.E2E_TIMINGS) console.log(line);
}

/** fn's result and how long it took. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t };
}

function plain(user: string, pw: string): string {
  return `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${pw}`).toString('base64')}</auth>`;
}

function scramFirst(user: string): string {
  return `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${Buffer.from(`n,,n=${user},r=fyko+d2lbbFgONRv9qkxdawL`).toString('base64')}</auth>`;
}

/** A stream that authenticated (the restart done), ready to bind. */
async function authenticated(user: string): Promise<RawClient> {
  const c = await RawClient.connect(stack.edgePorts[0]);
  await c.open();
  const r = await authenticate(c, user, 'pw', 'PLAIN');
  if (r.name !== 'success') throw new Error(`authentication failed: ${r.toString()}`);
  await c.open();
  return c;
}

function bindIq(id: string, resource: string): string {
  return `<iq type='set' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`;
}

/** Retry until fn succeeds (a service just restarted is found again within a few seconds). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** n messages from a to b by id; every one arrives exactly once. */
async function exchange(a: { c: RawClient; jid: string }, b: { c: RawClient; jid: string }, prefix: string, n = 20): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  for (const id of ids) a.c.send(`<message to='${b.jid}' id='${id}' type='chat'><body>${id}</body></message>`);
  const got: string[] = [];
  while (got.length < n) got.push((await b.c.until((el) => el.name === 'message' && el.attrs.id?.startsWith(prefix) === true, 10_000)).attrs.id as string);
  expect(got.sort()).toEqual(ids.sort());
  await b.c.quiet(500, (el) => el.name === 'message');
}

function errorOf(el: Element): { type?: string; condition?: string } {
  const e = el.getChild('error');
  return {
    type: e?.attrs.type,
    condition: e?.children
      .find((c) => typeof c !== 'string' && c.attrs.xmlns === STANZAS && c.name !== 'text')
      ?.toString()
      .match(/^<([\w-]+)/)?.[1],
  };
}

function failedCondition(el: Element): string | undefined {
  const c = el.children.find((x) => typeof x !== 'string' && x.attrs.xmlns === STANZAS);
  return typeof c === 'string' ? undefined : c?.name;
}

describe('auth service down', () => {
  it('answers <auth/> with temporary-auth-failure within the deadline, keeps online users talking, and logs in again once auth is back', async () => {
    const [alice, bob, carol] = [uniqueName('alice'), uniqueName('bob'), uniqueName('carol')];
    for (const u of [alice, bob, carol]) await register(stack.edgePorts[0], u, 'pw');
    const a = await login(stack.edgePorts[0], alice, 'pw', { presence: true });
    const b = await login(stack.edgePorts[0], bob, 'pw', { presence: true });
    const auth = await kill('auth');
    try {
      // PLAIN (one step) and SCRAM (its first step) both get an answer.
      for (const mech of ['PLAIN', 'SCRAM-SHA-1'] as const) {
        const c = await RawClient.connect(stack.edgePorts[0]);
        await c.open();
        const { value, ms } = await timed(async () => (c.send(mech === 'PLAIN' ? plain(carol, 'pw') : scramFirst(carol)), c.element(BOUND_MS + 2000)));
        expect(value.name, value.toString()).toBe('failure');
        expect(value.getChild('temporary-auth-failure'), value.toString()).toBeDefined();
        expect(ms).toBeLessThan(BOUND_MS);
        report(`auth down: ${mech} answered in ${ms} ms`);
        c.close();
      }
      // Unreachable for a whole deadline now: the answer comes at once.
      const c = await RawClient.connect(stack.edgePorts[0]);
      await c.open();
      const fast = await timed(async () => (c.send(plain(carol, 'pw')), c.element(BOUND_MS)));
      expect(fast.value.getChild('temporary-auth-failure'), fast.value.toString()).toBeDefined();
      expect(fast.ms).toBeLessThan(1000);
      report(`auth down: PLAIN again answered in ${fast.ms} ms`);
      // In-band registration (XEP-0077) gets an error of type wait too.
      const reg = await timed(
        async () => (
          c.send(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${uniqueName('dan')}</username><password>pw</password></query></iq>`),
          c.until((el) => el.attrs.id === 'reg', BOUND_MS)
        ),
      );
      expect(errorOf(reg.value)).toEqual({ type: 'wait', condition: 'internal-server-error' });
      expect(reg.ms).toBeLessThan(BOUND_MS);
      c.close();
      // Sessions already online are not affected.
      await exchange(a, b, 'while-auth-down');
    } finally {
      await restart(auth, 'AUTH_GRPC_PORT');
    }
    const c = await eventually(() => login(stack.edgePorts[0], carol, 'pw'));
    c.c.close();
    a.c.close();
    b.c.close();
  }, 90_000);
});

describe('session service down', () => {
  it('answers bind with an error of type wait and <enable/> and <resume/> with <failed/>, keeps online users talking, and binds and resumes once it is back with no ghost session left', async () => {
    const [alice, bob, dave, erin] = [uniqueName('alice'), uniqueName('bob'), uniqueName('dave'), uniqueName('erin')];
    for (const u of [alice, bob, dave, erin]) await register(stack.edgePorts[0], u, 'pw');
    const a = await login(stack.edgePorts[0], alice, 'pw', { presence: true });
    const b = await login(stack.edgePorts[0], bob, 'pw', { presence: true });
    // erin enables resumption and drops her connection: her session waits to be resumed.
    const e = await login(stack.edgePorts[0], erin, 'pw', { resource: 'phone' });
    e.c.send(`<enable xmlns='${SM}' resume='true'/>`);
    const previd = (await e.c.until((el) => el.name === 'enabled')).attrs.id as string;
    e.c.destroy();
    await new Promise((r) => setTimeout(r, 500));
    // A stream bound before the outage, to ask for stream management during it.
    const f = await login(stack.edgePorts[0], dave, 'pw', { resource: 'desk' });
    const d = await authenticated(dave);
    const e2 = await authenticated(erin);
    const session = await kill('session');
    try {
      const { value: bound, ms } = await timed(async () => (d.send(bindIq('b1', 'laptop')), d.element(BOUND_MS + 2000)));
      expect(bound.attrs.type, bound.toString()).toBe('error');
      expect(errorOf(bound)).toEqual({ type: 'wait', condition: 'internal-server-error' });
      expect(ms).toBeLessThan(BOUND_MS);

      const enable = await timed(async () => (f.c.send(`<enable xmlns='${SM}' resume='true'/>`), f.c.until((el) => el.attrs.xmlns === SM, BOUND_MS + 2000)));
      expect(enable.value.name, enable.value.toString()).toBe('failed');
      expect(enable.ms).toBeLessThan(BOUND_MS);
      // A connection closed during the outage: its session is unbound once the service is back.
      f.c.close();

      const resume = await timed(
        async () => (e2.send(`<resume xmlns='${SM}' previd='${previd}' h='0'/>`), e2.until((el) => el.attrs.xmlns === SM, BOUND_MS + 2000)),
      );
      expect(resume.value.name, resume.value.toString()).toBe('failed');
      // Not item-not-found: the session is still there to be resumed later.
      expect(failedCondition(resume.value)).toBe('internal-server-error');
      expect(resume.ms).toBeLessThan(BOUND_MS);
      report(`session down: bind ${ms} ms, enable ${enable.ms} ms, resume ${resume.ms} ms`);
      // Unreachable for a whole deadline now: the answer comes at once.
      const fast = await timed(async () => (e2.send(bindIq('b9', 'car')), e2.until((el) => el.attrs.id === 'b9', BOUND_MS)));
      expect(errorOf(fast.value)).toEqual({ type: 'wait', condition: 'internal-server-error' });
      expect(fast.ms).toBeLessThan(1000);
      report(`session down: bind again ${fast.ms} ms`);

      // A presence change cannot be recorded (no error for presence, RFC 6121) and does not hold up the messages behind it.
      a.c.send(`<presence><show>away</show></presence>`);
      const msgs = await timed(() => exchange(a, b, 'while-session-down'));
      expect(msgs.ms).toBeLessThan(BOUND_MS + 1000);
    } finally {
      await restart(session, 'SESSION_GRPC_PORT');
    }
    // The same stream binds once the service is back (another resource than the one that timed out).
    const again = await eventually(async () => {
      d.send(bindIq('b2', 'tablet'));
      const r = await d.until((el) => el.attrs.id === 'b2', 10_000);
      if (r.attrs.type !== 'result') throw new Error(r.toString());
      return r;
    });
    expect(again.getChild('bind')?.getChildText('jid')).toBe(`${dave}@localhost/tablet`);
    // The resumption that failed works now.
    const e3 = await authenticated(erin);
    const resumed = await eventually(async () => {
      e3.send(`<resume xmlns='${SM}' previd='${previd}' h='0'/>`);
      const r = await e3.until((el) => el.attrs.xmlns === SM, 10_000);
      if (r.name !== 'resumed') throw new Error(r.toString());
      return r;
    });
    expect(resumed.attrs.previd).toBe(previd);
    // No ghost: the bind that timed out is not registered (undone if it was carried out late).
    await new Promise((r) => setTimeout(r, TIMEOUT_MS));
    const ctl = await exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), 'connected'], {
      env: { ...process.env, ...stack.adminAddrs },
    });
    expect(ctl.stdout).toContain(`${dave}@localhost/tablet`);
    expect(ctl.stdout).not.toContain(`${dave}@localhost/laptop`);
    expect(ctl.stdout).not.toContain(`${dave}@localhost/desk`);
    for (const c of [a.c, b.c, d, e2, e3]) c.close();
  }, 120_000);
});

describe('a stalled service (SIGSTOP: connected, but not answering)', () => {
  it('answers within the deadline, and a bind the service carries out after it is undone: no ghost session', async () => {
    const [hal] = [uniqueName('hal')];
    await register(stack.edgePorts[0], hal, 'pw');
    const d = await authenticated(hal);
    const session = proc('session');
    session.child.kill('SIGSTOP');
    let bound: Element;
    let ms: number;
    try {
      ({ value: bound, ms } = await timed(async () => (d.send(bindIq('s1', 'stalled')), d.element(BOUND_MS + 2000))));
      // An unanswered <auth/> on a stalled auth service is the same deadline (unit-tested in sasl-link.spec.ts).
    } finally {
      session.child.kill('SIGCONT');
    }
    expect(errorOf(bound)).toEqual({ type: 'wait', condition: 'internal-server-error' });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(BOUND_MS);
    report(`session stalled: bind answered in ${ms} ms`);
    // The service now carries out the queued bind; the edge unbinds it, then lets the stream bind again.
    const again = await eventually(async () => {
      d.send(bindIq('s2', 'later'));
      const r = await d.until((el) => el.attrs.id === 's2', 10_000);
      if (r.attrs.type !== 'result') throw new Error(r.toString());
      return r;
    });
    expect(again.getChild('bind')?.getChildText('jid')).toBe(`${hal}@localhost/later`);
    const ctl = await exec(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), 'connected'], {
      env: { ...process.env, ...stack.adminAddrs },
    });
    expect(ctl.stdout).toContain(`${hal}@localhost/later`);
    expect(ctl.stdout).not.toContain(`${hal}@localhost/stalled`);
    // It was carried out late, and undone.
    const m = await scrapePort(stack.edges[0].metricsPort as number);
    expect(m.get('xmpp_edge_dependency_timeouts_total{dependency="session",reason="deadline"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('xmpp_edge_dependency_timeouts_total{dependency="session",reason="late"}')).toBeGreaterThanOrEqual(1);
    d.close();
  }, 60_000);
});
