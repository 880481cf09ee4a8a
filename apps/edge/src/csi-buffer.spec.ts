import { describe, expect, it } from 'vitest';
import { CsiBuffer, fromOf } from './csi-buffer';

const b = (s: string) => Buffer.from(s);
const str = (bs: Buffer[]) => bs.map((x) => x.toString());

describe('CsiBuffer (XEP-0352)', () => {
  it('passes everything while active', () => {
    const c = new CsiBuffer();
    expect(str(c.offer(b('<presence from="a@x/1"/>'), 2))).toEqual(['<presence from="a@x/1"/>']);
  });
  it('holds presence (latest per sender) and body-less messages, lets a message with a body through after them', () => {
    const c = new CsiBuffer();
    c.inactive = true;
    expect(c.offer(b('<presence from="a@x/1"><show>away</show></presence>'), 2)).toEqual([]);
    expect(c.offer(b('<message from="b@x/1"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>'), 1)).toEqual([]);
    expect(c.offer(b('<presence from="a@x/1"/>'), 2)).toEqual([]);
    expect(str(c.offer(b('<message from="b@x/1"><body>hi</body></message>'), 1))).toEqual([
      '<message from="b@x/1"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>',
      '<presence from="a@x/1"/>',
      '<message from="b@x/1"><body>hi</body></message>',
    ]);
  });
  it('lets iq and subscription requests through, and flushes at <active/>', () => {
    const c = new CsiBuffer();
    c.inactive = true;
    c.offer(b(`<presence from='c@x/2'/>`), 2);
    expect(str(c.offer(b('<iq type="get" id="1"/>'), 3))).toHaveLength(2);
    expect(c.offer(b('<presence from="a@x" type="subscribe"/>'), 2)).toHaveLength(1);
    c.offer(b('<presence from="d@x/1"/>'), 2);
    expect(str(c.activate())).toEqual(['<presence from="d@x/1"/>']);
    expect(c.inactive).toBe(false);
  });
  it('reads the from attribute with either quote', () => {
    expect(fromOf(b(`<presence from='a@x/1' to="b"/>`))).toBe('a@x/1');
    expect(fromOf(b(`<presence to="b" from="c@x"><status>from="no"</status></presence>`))).toBe('c@x');
    expect(fromOf(b(`<presence/>`))).toBeUndefined();
  });
  it('writes everything held once it holds more than maxBytes, in order (issue 9 #9)', () => {
    const c = new CsiBuffer();
    c.maxBytes = 4096;
    c.inactive = true;
    const state = (i: number) =>
      b(`<message from="b@x/1" id="${i}"><paused xmlns="http://jabber.org/protocol/chatstates"/><x xmlns="pad">${'p'.repeat(1000)}</x></message>`);
    for (let i = 0; i < 3; i++) expect(c.offer(state(i), 1)).toEqual([]);
    const out = c.offer(state(3), 1);
    expect(out.map((x) => /id="(\d)"/.exec(x.toString())?.[1])).toEqual(['0', '1', '2', '3']);
    expect(c.offer(state(4), 1)).toEqual([]);
  });
});
