import { describe, expect, it } from 'vitest';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { headers } from '@nats-io/transport-node';
import { edgev1, eventsv1 } from '@cx/proto';
import { edgeChannel, edgeMessage, kickOnEdge, sessionEvents } from './channels';

/** Records publishes and hands them to the subscriptions on the same subject, as NATS would. */
function fakeNats() {
  const published: Array<{ subject: string; data: Uint8Array; opts?: unknown }> = [];
  const subs: Array<{ subject: string; queue?: string; callback: (err: Error | null, msg: Msg) => void; closed: boolean }> = [];
  const nc = {
    publish(subject: string, data: Uint8Array, opts?: { headers?: Msg['headers'] }) {
      published.push({ subject, data, opts });
      for (const s of subs) if (!s.closed && s.subject === subject) s.callback(null, { subject, data, headers: opts?.headers } as Msg);
    },
    subscribe(subject: string, o: { queue?: string; callback: (err: Error | null, msg: Msg) => void }) {
      const s = { subject, queue: o.queue, callback: o.callback, closed: false };
      subs.push(s);
      return { unsubscribe: () => void (s.closed = true) };
    },
  };
  return { nc: nc as unknown as NatsConnection, published, subs };
}

describe('edgeChannel', () => {
  it('fills the parts a sender leaves out', () => {
    expect(edgeMessage({ inAcks: [{ connectionId: 'c', h: 2 }] })).toEqual({ deliveries: [], kicks: [], inAcks: [{ connectionId: 'c', h: 2 }] });
  });
  it("publishes on the edge's subject what its subscriber decodes, until it unsubscribes", () => {
    const { nc, published } = fakeNats();
    const got: edgev1.EdgeMessage[] = [];
    const stop = edgeChannel.subscribe(nc, 'e1', (m) => void got.push(m), { onError: () => undefined });
    const delivery = { connectionId: 'c1', to: 'a@b/c', xml: Buffer.from('<message/>'), kind: 1, traceparent: '' };
    edgeChannel.publish(nc, 'e1', edgeMessage({ deliveries: [delivery] }));
    edgeChannel.publish(nc, 'e2', edgeMessage({ deliveries: [delivery] }));
    stop();
    edgeChannel.publish(nc, 'e1', edgeMessage({}));
    expect(published.map((p) => p.subject)).toEqual(['xmpp.edge.e1', 'xmpp.edge.e2', 'xmpp.edge.e1']);
    expect(got).toHaveLength(1);
    expect(got[0].deliveries.map((d) => [d.connectionId, d.to, Buffer.from(d.xml).toString(), d.kind])).toEqual([['c1', 'a@b/c', '<message/>', 1]]);
    expect(edgev1.EdgeMessage.decode(published[0].data)).toEqual(got[0]);
  });
  it('kicks a connection, not resumed unless said', () => {
    const { nc, published } = fakeNats();
    kickOnEdge(nc, 'e1', { connectionId: 'c1', condition: 'conflict', text: 'replaced' });
    kickOnEdge(nc, 'e2', { connectionId: 'c2', condition: 'conflict', text: 'moved', resumed: true });
    expect(published.map((p) => [p.subject, edgev1.EdgeMessage.decode(p.data).kicks])).toEqual([
      ['xmpp.edge.e1', [{ connectionId: 'c1', condition: 'conflict', text: 'replaced', resumed: false }]],
      ['xmpp.edge.e2', [{ connectionId: 'c2', condition: 'conflict', text: 'moved', resumed: true }]],
    ]);
  });
  it('reports a failed subscription instead of decoding', () => {
    const { nc, subs } = fakeNats();
    const errors: string[] = [];
    edgeChannel.subscribe(nc, 'e1', () => expect.fail('no message'), { onError: (e) => void errors.push(e.message) });
    subs[0].callback(new Error('permissions violation'), {} as Msg);
    expect(errors).toEqual(['permissions violation']);
  });
});

describe('sessionEvents', () => {
  it('carries SessionEnded with its headers to a queue subscriber', () => {
    const { nc, published, subs } = fakeNats();
    const got: Array<[eventsv1.SessionEnded, string | undefined]> = [];
    sessionEvents.ended.subscribe(nc, (ev, h) => void got.push([ev, h?.get('traceparent')]), { queue: 'xmpp-router', onError: () => undefined });
    const h = headers();
    h.set('traceparent', '00-abc-def-01');
    const ev = { fullJid: 'a@b/c', edgeId: 'e1', connectionId: 'c1', reason: 'lost', atMs: 5, available: true, directed: ['x@y'], smId: '' };
    sessionEvents.ended.publish(nc, ev, { headers: h });
    expect(subs[0].queue).toBe('xmpp-router');
    expect(published[0].subject).toBe('xmpp.session.ended');
    expect(got).toEqual([[ev, '00-abc-def-01']]);
  });
  it('publishes SessionBound on its subject', () => {
    const { nc, published } = fakeNats();
    sessionEvents.bound.publish(nc, { fullJid: 'a@b/c', edgeId: 'e1', connectionId: 'c1', atMs: 9 });
    expect(published[0].subject).toBe('xmpp.session.bound');
    expect(eventsv1.SessionBound.decode(published[0].data)).toEqual({ fullJid: 'a@b/c', edgeId: 'e1', connectionId: 'c1', atMs: 9 });
  });
});
