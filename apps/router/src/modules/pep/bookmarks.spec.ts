import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { conference, fromItems, fromStorage, toStorage } from './bookmarks';

const el = (s: string) => parseElement(s) as Element;

describe('bookmarks between XEP-0048 and XEP-0402', () => {
  it('a XEP-0048 storage round-trips through XEP-0402 items, keeping its urls', () => {
    const storage = el(
      `<storage xmlns='storage:bookmarks'><conference jid='a@muc' name='A' autojoin='1'><nick>n</nick><password>p</password></conference><conference jid='b@muc'/><url name='u' url='https://x'/></storage>`,
    );
    const bms = fromStorage(storage);
    expect(bms).toEqual([
      { jid: 'a@muc', name: 'A', autojoin: true, nick: 'n', password: 'p' },
      { jid: 'b@muc', name: undefined, autojoin: false, nick: undefined, password: undefined },
    ]);
    const node = { config: {} as never, subs: [], items: bms.map((b) => ({ id: b.jid, xml: conference(b).toString(), at: 0 })) };
    expect(fromItems(node)).toEqual(bms);
    const back = toStorage(fromItems(node), storage.getChildren('url'));
    expect(back.getChildren('conference').map((c) => c.attrs)).toEqual([
      { jid: 'a@muc', name: 'A', autojoin: 'true' },
      { jid: 'b@muc', autojoin: 'false' },
    ]);
    expect(back.getChild('url')?.attrs.url).toBe('https://x');
  });

  it('XEP-0402 items that are not conferences are skipped', () => {
    expect(fromItems({ config: {} as never, subs: [], items: [{ id: 'x', xml: '<other xmlns="y"/>', at: 0 }] })).toEqual([]);
    expect(fromItems(null)).toEqual([]);
  });
});
