// Distributed tracing (OpenTelemetry): a stack of its own with every stanza
// traced, exporting to an OTLP/HTTP receiver in this test; and one with the
// default settings (off), which exports nothing and sends no trace context.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgev1 } from '@cx/proto';
import { startStack, type Stack } from '@cx/stack';
import { login, register, uniqueName, type RawClient } from '@cx/testing';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

const PRODUCER = 4;
const CONSUMER = 5;
const SERVER = 2;

let stack: Stack;
let receiver: OtlpReceiver;
const open: RawClient[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'cx-tracing-'));

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  stack = await startStack({
    dataDir,
    edges: 2,
    env: {
      REGISTRATION_OPEN: 'true',
      LOG_LEVEL: 'warn',
      ALLOW_PLAINTEXT_AUTH: 'true',
      PRESENCE_CHANGED_EVENTS: 'true',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
});
afterAll(async () => {
  for (const c of open) c.close();
  await stack?.stop();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function online(port: number, prefix: string) {
  const name = uniqueName(prefix);
  await register(port, name, 'pw');
  const s = await login(port, name, 'pw', { presence: true });
  open.push(s.c);
  return { name, ...s };
}

/**
 * The trace the edge started for the client stanza with this id, once `need` spans of it have arrived,
 * the router's among them (it ends last, after the calls it made: modules may make more than one).
 */
function traceOf(id: string, need: number) {
  return receiver.until((spans) => {
    const root = spans.find((s) => s.service === 'edge' && s.kind === PRODUCER && s.attributes['xmpp.id'] === id);
    const trace = root && spans.filter((s) => s.traceId === root.traceId);
    const routed = trace?.some((s) => s.parentSpanId === root?.spanId && s.service === 'router' && s.kind === CONSUMER);
    return trace && routed && trace.length >= need ? { root, trace } : undefined;
  });
}

const childOf = (trace: ReceivedSpan[], parent: ReceivedSpan, service: string, kind: number) =>
  trace.find((s) => s.parentSpanId === parent.spanId && s.service === service && s.kind === kind);

describe('tracing on (OTEL_TRACES_EXPORTER=otlp, every stanza sampled)', () => {
  it('a message from alice to bob on another edge is one trace: edge → router → the other edge', async () => {
    const [edgeA, edgeB] = stack.edgePorts;
    const alice = await online(edgeA, 'alice');
    const bob = await online(edgeB, 'bob');
    const id = uniqueName('m');
    alice.c.send(`<message to='${bob.jid}' type='chat' id='${id}'><body>traced</body></message>`);
    expect((await bob.c.until((el) => el.name === 'message')).attrs.id).toBe(id);
    const { root, trace } = await traceOf(id, 3);
    expect(root).toMatchObject({ name: 'edge route message', parentSpanId: '' });
    const routed = childOf(trace, root, 'router', CONSUMER);
    expect(routed?.name).toBe('router route');
    const delivered = childOf(trace, routed!, 'edge', CONSUMER);
    expect(delivered?.name).toBe('edge deliver');
    expect(delivered?.attributes['xmpp.kind']).toBe(1);
  });

  it("initial presence: the router's SetPresence call has its session span in the trace", async () => {
    const carol = await online(stack.edgePorts[0], 'carol');
    const id = uniqueName('p');
    carol.c.send(`<presence id='${id}'><status>here</status></presence>`);
    await carol.c.until((el) => el.name === 'presence' && el.attrs.id === id);
    const { root, trace } = await traceOf(id, 4);
    const routed = childOf(trace, root, 'router', CONSUMER)!;
    const setPresence = childOf(trace, routed, 'session', SERVER);
    expect(setPresence).toMatchObject({
      name: 'xmpp.session.v1.SessionService/SetPresence',
      attributes: { 'rpc.system': 'grpc', 'rpc.method': 'SetPresence' },
    });
    expect(childOf(trace, routed, 'edge', CONSUMER)?.name).toBe('edge deliver'); // the echo
  });

  it("a message to an account that does not exist: auth's UserExists and the error back are in the trace", async () => {
    const dave = await online(stack.edgePorts[0], 'dave');
    const id = uniqueName('x');
    dave.c.send(`<message to='${uniqueName('nobody')}@localhost' type='chat' id='${id}'><body>anyone?</body></message>`);
    const err = await dave.c.until((el) => el.name === 'message' && el.attrs.id === id);
    expect(err.attrs.type).toBe('error');
    const { root, trace } = await traceOf(id, 4);
    const routed = childOf(trace, root, 'router', CONSUMER)!;
    expect(childOf(trace, routed, 'auth', SERVER)?.name).toBe('xmpp.auth.v1.AuthService/UserExists');
    expect(childOf(trace, routed, 'edge', CONSUMER)?.name).toBe('edge deliver');
  });

  it('in-band registration is a trace of its own reaching auth', async () => {
    const name = uniqueName('reg');
    await register(stack.edgePorts[0], name, 'pw');
    const register_ = await receiver.until((spans) =>
      spans.find((s) => s.service === 'auth' && s.name === 'xmpp.auth.v1.AuthService/Register' && spans.some((p) => p.spanId === s.parentSpanId)),
    );
    const parent = receiver.spans.find((s) => s.spanId === register_.parentSpanId)!;
    expect(parent).toMatchObject({ service: 'edge', name: 'edge account register', traceId: register_.traceId, parentSpanId: '' });
  });
});

describe('tracing on, export at shutdown', () => {
  it('spans still buffered are exported when the services stop (SIGTERM)', async () => {
    const late = await OtlpReceiver.start();
    const dir = mkdtempSync(join(tmpdir(), 'cx-tracing-stop-'));
    const s = await startStack({
      dataDir: dir,
      env: {
        REGISTRATION_OPEN: 'true',
        LOG_LEVEL: 'warn',
        ALLOW_PLAINTEXT_AUTH: 'true',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: late.url,
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      },
    });
    try {
      const [port] = s.edgePorts;
      const names = [uniqueName('sa'), uniqueName('sb')];
      for (const n of names) await register(port, n, 'pw');
      const [a, b] = await Promise.all(names.map((n) => login(port, n, 'pw')));
      a.c.send(`<message to='${b.jid}' type='chat' id='bye'><body>before stopping</body></message>`);
      await b.c.until((el) => el.name === 'message');
      a.c.close();
      b.c.close();
      expect(late.requests).toBe(0); // nothing exported yet: the next export is 10 minutes away
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const spans = late.spans.filter((x) => x.attributes['xmpp.id'] === 'bye');
    expect(spans.map((x) => x.service)).toEqual(['edge']);
    expect(
      late.spans
        .filter((x) => x.traceId === spans[0].traceId)
        .map((x) => `${x.service} ${x.name}`)
        .sort(),
    ).toEqual(['edge edge deliver', 'edge edge route message', 'router router route']);
    await late.close();
  });
});

describe('tracing off (the default)', () => {
  let nc: NatsConnection;
  let offReceiver: OtlpReceiver;
  let offStack: Stack;
  const offDir = mkdtempSync(join(tmpdir(), 'cx-tracing-off-'));
  beforeAll(async () => {
    // Everything but OTEL_TRACES_EXPORTER: were tracing on by default, spans would reach offReceiver within 100 ms.
    offReceiver = await OtlpReceiver.start();
    offStack = await startStack({
      dataDir: offDir,
      edges: 2,
      env: {
        REGISTRATION_OPEN: 'true',
        LOG_LEVEL: 'warn',
        ALLOW_PLAINTEXT_AUTH: 'true',
        PRESENCE_CHANGED_EVENTS: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: offReceiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    nc = await connect({ servers: offStack.nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await offStack?.stop();
    await offReceiver?.close();
    rmSync(offDir, { recursive: true, force: true });
  });

  it('exports nothing, and neither deliveries nor events carry a traceparent', async () => {
    const [edgeA, edgeB] = offStack.edgePorts;
    const seen: Array<{ subject: string; traceHeader: boolean; traceparents: string[] }> = [];
    const sub = nc.subscribe('xmpp.>', {
      callback: (_err, msg) => {
        const traceHeader = !!msg.headers?.get('traceparent');
        const traceparents = msg.subject.startsWith('xmpp.edge.') ? edgev1.EdgeMessage.decode(msg.data).deliveries.map((d) => d.traceparent) : [];
        seen.push({ subject: msg.subject, traceHeader, traceparents });
      },
    });
    const a = await online(edgeA, 'offa');
    const b = await online(edgeB, 'offb');
    a.c.send(`<message to='${b.jid}' type='chat' id='off1'><body>untraced</body></message>`);
    await b.c.until((el) => el.name === 'message');
    await nc.flush();
    await new Promise((r) => setTimeout(r, 500));
    sub.unsubscribe();
    const deliveries = seen.flatMap((s) => s.traceparents);
    expect(deliveries.length).toBeGreaterThan(1);
    expect(deliveries.every((tp) => tp === '')).toBe(true);
    expect(seen.some((s) => s.subject === 'xmpp.presence.changed')).toBe(true);
    expect(seen.filter((s) => s.traceHeader)).toEqual([]);
    expect(offReceiver.requests).toBe(0);
  });
});
