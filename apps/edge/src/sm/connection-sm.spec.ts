// The XEP-0198 glue of one connection, with a recording stream manager: what
// it counts, where stanzas go, and what becomes of the session at the end.
import { describe, expect, it } from 'vitest';
import type { C2sEvent } from '@cx/c2s';
import { createLogger } from '@cx/log';
import { StanzaKind } from '@cx/stanza';
import { CsiBuffer } from '../csi-buffer';
import { ConnectionSm, type SmHost } from './connection-sm';
import { SmSession } from './sm-session';
import type { StreamManager } from './stream-manager';

const JID = 'juliet@localhost/balcony';

function setup(o: { manager?: boolean; maxResumeS?: number } = {}) {
  const calls: string[] = [];
  let inCount = () => -1;
  const written: string[] = [];
  const events: C2sEvent[] = [];
  const host: SmHost = {
    id: 'c1',
    username: 'juliet',
    jid: JID,
    csi: new CsiBuffer(),
    gone: false,
    write: (d) => void written.push(String(d)),
    kick: () => undefined,
    dispatch: (e) => void events.push(e),
  };
  const manager = {
    republish: (_id: string, to: string, xml: Uint8Array, kind: number, seq?: number) =>
      void calls.push(`republish ${to} ${Buffer.from(xml).toString()} ${kind} ${seq ?? ''}`.trim()),
    enable: async (_conn: SmHost, _resume: boolean, _max: number | undefined, count: () => number) => {
      calls.push('enable');
      inCount = count;
      return undefined;
    },
    detach: async () => void calls.push('detach'),
    finish: async () => void calls.push('finish'),
    forget: () => void calls.push('forget'),
    track: () => void calls.push('track'),
  } as unknown as StreamManager;
  const glue = new ConnectionSm({
    host,
    manager: o.manager === false ? undefined : manager,
    log: createLogger({ service: 'test', level: 'error' }),
    resumed: () => void calls.push('resumed'),
    ended: (jid) => void calls.push(`ended ${jid ?? '-'}`),
    unbind: (jid) => void calls.push(`unbind ${jid}`),
  });
  const session = () => {
    const sm = new SmSession({ id: 'sm1', jid: JID, port: host, csi: host.csi, maxResumeS: o.maxResumeS ?? 300, start: { sent: 0, ackedPos: 0, inCount: 0 } });
    host.sm = sm;
    return sm;
  };
  return { host, glue, calls, written, events, session, inCount: () => inCount() };
}

describe('ConnectionSm', () => {
  it('counts client stanzas from <enable/> on: while the manager enables, then in the session', () => {
    const { glue, calls, session, inCount } = setup();
    glue.received();
    glue.enable(true, 60);
    glue.received();
    glue.received();
    expect(calls).toEqual(['enable']);
    // The manager reads the count when it creates the session: the stanzas received meanwhile are in it.
    expect(inCount()).toBe(2);
    const sm = session();
    glue.received();
    expect(sm.inCount).toBe(1);
    expect(glue.routed()).toBe(1);
  });

  it('answers <enable/> with failed when the manager could not enable', async () => {
    const { glue, written, events } = setup();
    glue.enable(false);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([{ type: 'sm-enable-failed' }]);
    expect(written[0]).toContain('<internal-server-error');
  });

  it('says feature-not-implemented without a stream manager, and takes nothing', () => {
    const { glue, written } = setup({ manager: false });
    glue.enable(false);
    glue.resume('x', 0);
    expect(written.map((w) => /<(feature-not-implemented)/.exec(w)?.[1])).toEqual(['feature-not-implemented', 'feature-not-implemented']);
    expect(glue.deliver(Buffer.from('<message/>'), StanzaKind.STANZA_KIND_MESSAGE)).toBe(false);
  });

  it('puts deliveries and, once counting started, our own stanzas through the stream', () => {
    const { glue, calls, session } = setup();
    expect(glue.deliver(Buffer.from('<message/>'), StanzaKind.STANZA_KIND_MESSAGE)).toBe(false);
    const sm = session();
    expect(glue.deliver(Buffer.from('<message/>'), StanzaKind.STANZA_KIND_MESSAGE, 9)).toBe(true);
    expect(glue.send('<iq/>', StanzaKind.STANZA_KIND_IQ)).toBe(false); // not started: written directly
    sm.started = true;
    expect(glue.send('<iq/>', StanzaKind.STANZA_KIND_IQ)).toBe(true);
    expect(calls).toEqual([`republish ${JID} <message/> 1 9`, `republish ${JID} <iq/> 3`]);
  });

  it('ends the stream with handled-count-too-high for an <a/> above what was sent', () => {
    const { glue, written, events, session } = setup();
    session().started = true;
    glue.ack(3);
    expect(written[0]).toMatch(/^<stream:error><undefined-condition .*<handled-count-too-high xmlns='urn:xmpp:sm:3' h='3' send-count='0'\/>/);
    expect(events).toEqual([{ type: 'stream-close' }]);
  });

  it('keeps a resumable session when the stream is lost, and ends it when the client closed or it was final', () => {
    const lost = setup();
    lost.session();
    lost.glue.end('lost', JID);
    expect(lost.calls).toEqual(['ended -', 'detach', 'track']);

    const closed = setup();
    closed.session();
    closed.glue.end('closed', JID);
    expect(closed.calls).toEqual(['ended -', 'finish', 'track']);

    const final = setup();
    final.session();
    final.glue.final = true;
    final.glue.end('kick:resource-constraint', JID);
    expect(final.calls).toEqual(['ended -', 'finish', 'track']);

    const notResumable = setup({ maxResumeS: 0 });
    notResumable.session();
    notResumable.glue.end('lost', JID);
    expect(notResumable.calls).toEqual(['ended -', 'finish', 'track']);
  });

  it('unbinds at once without stream management, and never after a hand-over', () => {
    const plain = setup();
    plain.glue.end('lost', JID);
    expect(plain.calls).toEqual([`ended ${JID}`]);
    const moved = setup();
    moved.session();
    moved.glue.handOver();
    moved.glue.end('kick:conflict', JID);
    expect(moved.calls).toEqual(['forget', 'ended -']);
  });

  it('unbinds a finished session once its state is saved', async () => {
    const { glue, calls, session } = setup();
    session();
    glue.end('closed', JID);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['ended -', 'finish', 'track', `unbind ${JID}`]);
  });
});
