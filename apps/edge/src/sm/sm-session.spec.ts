import { describe, expect, it } from 'vitest';
import { CsiBuffer } from '../csi-buffer';
import { CONFIRM_WAIT_MS, SmSession } from './sm-session';
import { StanzaKind } from '@cx/stanza';

const MESSAGE = StanzaKind.STANZA_KIND_MESSAGE;

describe('SmSession', () => {
  it('overflows when its unacknowledged stanzas exceed the byte bound, and not once they are acknowledged (issue 9 #9)', () => {
    const written: Array<Buffer | string> = [];
    const sm = new SmSession({
      id: 'id',
      jid: 'a@x/r',
      port: { id: 'c1', write: (d) => written.push(d) },
      csi: new CsiBuffer(),
      maxResumeS: 60,
      start: { sent: 0, ackedPos: 0, inCount: 0 },
      maxUnackedBytes: 4096,
    });
    sm.started = true;
    for (let i = 1; i <= 4; i++) sm.deliver({ pos: i, to: 'a@x/r', xml: Buffer.alloc(1000, 'x'), kind: MESSAGE });
    expect(sm.overflowing).toBe(false);
    sm.deliver({ pos: 5, to: 'a@x/r', xml: Buffer.alloc(1000, 'x'), kind: MESSAGE });
    expect(sm.overflowing).toBe(true);
    expect(sm.acknowledge(2)).toBe(true);
    expect(sm.overflowing).toBe(false);
  });

  it('answers <r/> with what a router confirmed: at once when all routed stanzas are confirmed, else once they are (issue 10 #1)', () => {
    const written: Array<Buffer | string> = [];
    const sm = new SmSession({
      id: 'id',
      jid: 'a@x/r',
      port: { id: 'c1', write: (d) => written.push(d) },
      csi: new CsiBuffer(),
      maxResumeS: 60,
      start: { sent: 0, ackedPos: 0, inCount: 0 },
    });
    const acks = () => written.filter((w) => String(w).startsWith('<a '));
    for (let i = 0; i < 3; i++) {
      sm.received();
      sm.routed();
    }
    sm.received(); // answered by the edge itself (never routed)
    sm.answerRequest();
    expect(acks()).toEqual([]);
    sm.confirm(2);
    expect(acks()).toEqual([]);
    expect(sm.state('e', 'c1').inHandled).toBe(2);
    sm.confirm(3);
    expect(acks()).toEqual([`<a xmlns='urn:xmpp:sm:3' h='4'/>`]);
    expect(sm.state('e', 'c1').inHandled).toBe(4);
    sm.answerRequest();
    expect(acks()).toHaveLength(2);
  });

  it('answers an <r/> the router does not confirm in time with the confirmed count, never less than before', () => {
    const written: Array<Buffer | string> = [];
    const sm = new SmSession({
      id: 'id',
      jid: 'a@x/r',
      port: { id: 'c1', write: (d) => written.push(d) },
      csi: new CsiBuffer(),
      maxResumeS: 60,
      start: { sent: 0, ackedPos: 0, inCount: 0 },
    });
    sm.received();
    sm.routed();
    sm.confirm(1);
    sm.received();
    sm.answerRequest(); // h=2: the second was answered here
    sm.received();
    sm.routed();
    sm.answerRequest();
    const realNow = Date.now;
    Date.now = () => realNow() + CONFIRM_WAIT_MS + 1;
    try {
      sm.tick();
    } finally {
      Date.now = realNow;
    }
    expect(written.filter((w) => String(w).startsWith('<a '))).toEqual([`<a xmlns='urn:xmpp:sm:3' h='2'/>`, `<a xmlns='urn:xmpp:sm:3' h='2'/>`]);
  });
});
