// XEP-0313 message archives and XEP-0359 stanza ids across two edges and two
// routers (edge A talks to router 1, edge B to router 2): each side archived
// exactly once in its own archive, the live copy and the carbons carrying the
// archive's id, queries through either router, paging both ways, offline
// messages archived once, prefs, disco. Raw XML and @xmpp/client.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@cx/xmpp-core';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { register, TestSessions, TEST_PASSWORD, type RawClient } from '@cx/testing';
import { runSlixmpp } from './slixmpp/run';

const [edgeA, edgeB] = inject('edgePorts');
const adminEnv = inject('adminEnv');
const certFile = inject('certFile');
const t = new TestSessions(edgeA);
const started: Client[] = [];
afterEach(async () => {
  t.closeAll();
  await Promise.all(started.splice(0).map((c) => c.stop().catch(() => undefined)));
});

const MAM = 'urn:xmpp:mam:2';
const SID = 'urn:xmpp:sid:0';
const RSM = 'http://jabber.org/protocol/rsm';
const message = (id: string) => (el: Element) => el.name === 'message' && el.attrs.id === id;
const sids = (el: Element) => el.getChildren('stanza-id', SID).map((s) => s.attrs as Record<string, string>);
let n = 0;

interface Page {
  items: { id: string; body: string; from: string; to: string; stamp: string; queryid: string }[];
  fin: Element;
  complete: boolean;
  first?: string;
  last?: string;
}

/** Send a query and collect its results up to the iq result. */
async function query(c: RawClient, opts: { with?: string; max?: number; after?: string; before?: string; start?: string } = {}): Promise<Page> {
  const id = `q${++n}`;
  const queryid = `qid${n}`;
  const fields = [
    `<field var='FORM_TYPE' type='hidden'><value>${MAM}</value></field>`,
    opts.with ? `<field var='with'><value>${opts.with}</value></field>` : '',
    opts.start ? `<field var='start'><value>${opts.start}</value></field>` : '',
  ].join('');
  const set =
    opts.max !== undefined || opts.after !== undefined || opts.before !== undefined
      ? `<set xmlns='${RSM}'>${opts.max !== undefined ? `<max>${opts.max}</max>` : ''}${opts.after !== undefined ? `<after>${opts.after}</after>` : ''}${
          opts.before !== undefined ? (opts.before ? `<before>${opts.before}</before>` : '<before/>') : ''
        }</set>`
      : '';
  c.send(`<iq type='set' id='${id}'><query xmlns='${MAM}' queryid='${queryid}'><x xmlns='jabber:x:data' type='submit'>${fields}</x>${set}</query></iq>`);
  const items: Page['items'] = [];
  for (;;) {
    const el = await c.until((e) => (e.name === 'iq' && e.attrs.id === id) || (e.name === 'message' && !!e.getChild('result', MAM)));
    if (el.name === 'iq') {
      if (el.attrs.type !== 'result') throw Object.assign(new Error(`query failed: ${el.toString()}`), { el });
      const fin = el.getChild('fin', MAM) as Element;
      const rsm = fin.getChild('set', RSM);
      return {
        items,
        fin,
        complete: fin.attrs.complete === 'true',
        first: rsm?.getChildText('first') ?? undefined,
        last: rsm?.getChildText('last') ?? undefined,
      };
    }
    const r = el.getChild('result', MAM) as Element;
    const fwd = r.getChild('forwarded', 'urn:xmpp:forward:0') as Element;
    const m = fwd.getChild('message') as Element;
    items.push({
      id: r.attrs.id,
      queryid: r.attrs.queryid,
      body: m.getChildText('body') ?? '',
      from: m.attrs.from,
      to: m.attrs.to,
      stamp: fwd.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp ?? '',
    });
  }
}

describe('message archive (XEP-0313) and stanza ids (XEP-0359)', () => {
  it('archives each side once, stamps the live copy and carbons with the archive id, and either router answers', async () => {
    const a = await t.account('mama');
    const b = await t.account('mamb');
    const alice = await t.login(edgeA, a.name, { presence: true, resource: 'desk' });
    const alice2 = await t.login(edgeB, a.name, { presence: true, resource: 'phone' });
    alice2.c.send(`<iq type='set' id='cb'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
    await alice2.c.until((el) => el.attrs.id === 'cb');
    const bob = await t.login(edgeB, b.name, { presence: true });
    // A forged stanza-id naming bob's archive is removed; a foreign one stays.
    alice.c.send(
      `<message to='${b.bare}' type='chat' id='m1'><body>hello</body><stanza-id xmlns='${SID}' by='${b.bare}' id='forged'/><stanza-id xmlns='${SID}' by='room@elsewhere.example' id='theirs'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
    );
    const live = await bob.c.until(message('m1'));
    const mine = sids(live).filter((s) => s.by === b.bare);
    expect(mine).toHaveLength(1);
    expect(mine[0].id).not.toBe('forged');
    expect(sids(live).map((s) => s.by)).toEqual(['room@elsewhere.example', b.bare]);
    const sent = await alice2.c.until((el) => el.name === 'message' && !!el.getChild('sent', 'urn:xmpp:carbons:2'));
    const sentInner = sent.getChild('sent')?.getChild('forwarded')?.getChild('message') as Element;
    const aliceId = sids(sentInner).find((s) => s.by === a.bare)?.id;
    expect(aliceId).toBeDefined();

    // Bob's archive, through router 2 (edge B) and router 1 (edge A): exactly once, id = the live stanza-id.
    const bobA = await t.login(edgeA, b.name, { resource: 'other' });
    for (const c of [bob.c, bobA.c]) {
      const p = await query(c, { with: a.bare });
      expect(p.items.map((i) => [i.id, i.body])).toEqual([[mine[0].id, 'hello']]);
      expect(p.items[0].queryid).toMatch(/^qid/);
      expect(p.items[0].stamp).toMatch(/Z$/);
      expect(p.complete).toBe(true);
      expect(p.fin.attrs.queryid).toBe(p.items[0].queryid);
    }
    // Alice's archive has her sent copy once, with the id her carbon carried; chat states were not stored.
    const pa = await query(alice.c, { with: b.bare });
    expect(pa.items.map((i) => [i.id, i.body, i.to])).toEqual([[aliceId, 'hello', b.bare]]);
    expect(pa.items[0].id).not.toBe(mine[0].id);
  });

  it('pages backwards and forwards; offline messages are archived once and replayed with their archive id', async () => {
    const s = await t.account('mams');
    const r = await t.account('mamr');
    const snd = await t.login(edgeA, s.name, { presence: true });
    for (let i = 1; i <= 25; i++) snd.c.send(`<message to='${r.bare}' type='chat' id='p${i}'><body>${i}</body></message>`);
    await snd.c.quiet(500, (el) => el.name === 'message');
    const rcv = await t.login(edgeB, r.name, { presence: true });
    const replayed = await rcv.c.until(message('p25'));
    const replayedId = sids(replayed).find((x) => x.by === r.bare)?.id;
    // Neither a chat state alone nor a no-store message is archived (nor stamped).
    snd.c.send(`<message to='${r.bare}' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    snd.c.send(`<message to='${r.bare}' type='chat' id='ns'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>`);
    expect(sids(await rcv.c.until(message('cs')))).toEqual([]);
    expect(sids(await rcv.c.until(message('ns')))).toEqual([]);

    const nums = (p: Page) => p.items.map((i) => Number(i.body));
    const last = await query(rcv.c, { max: 10, before: '' });
    expect(nums(last)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(last.complete).toBe(false);
    expect(last.last).toBe(replayedId);
    const mid = await query(rcv.c, { max: 10, before: last.first });
    expect(nums(mid)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(mid.complete).toBe(false);
    const head = await query(rcv.c, { max: 10, before: mid.first });
    expect(nums(head)).toEqual([1, 2, 3, 4, 5]);
    expect(head.complete).toBe(true);

    const f1 = await query(rcv.c, { max: 10 });
    expect(nums(f1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const f2 = await query(rcv.c, { max: 10, after: f1.last });
    expect(nums(f2)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(f2.complete).toBe(false);
    const f3 = await query(rcv.c, { max: 10, after: f2.last });
    expect(nums(f3)).toEqual([21, 22, 23, 24, 25]);
    expect(f3.complete).toBe(true);
    // Default page 20, cap 50.
    expect((await query(rcv.c)).items).toHaveLength(20);
    expect((await query(snd.c, { max: 500 })).items).toHaveLength(25);
    // An id that is not in this archive.
    rcv.c.send(`<iq type='set' id='nf'><query xmlns='${MAM}'><set xmlns='${RSM}'><after>${f1.last}9</after></set></query></iq>`);
    expect((await rcv.c.until((el) => el.attrs.id === 'nf')).getChild('error')?.getChild('item-not-found')).toBeDefined();
    const other = await t.account('mamo');
    const oc = await t.login(edgeA, other.name);
    oc.c.send(`<iq type='set' id='nf2'><query xmlns='${MAM}'><set xmlns='${RSM}'><after>${f1.last}</after></set></query></iq>`);
    expect((await oc.c.until((el) => el.attrs.id === 'nf2')).getChild('error')?.getChild('item-not-found')).toBeDefined();
    // Coming online again replays nothing and archives nothing more.
    const again = await t.login(edgeA, r.name, { presence: true, resource: 'two' });
    await again.c.quiet(300, (el) => el.name === 'message');
    expect((await query(again.c, { max: 50 })).items).toHaveLength(25);
  });

  it('a session that fetched its history before its initial presence does not get the archived offline messages again', async () => {
    const s = await t.account('mamsync');
    const r = await t.account('mamsyncr');
    const snd = await t.login(edgeA, s.name, { presence: true });
    for (let i = 1; i <= 3; i++) snd.c.send(`<message to='${r.bare}' type='chat' id='o${i}'><body>offline ${i}</body></message>`);
    await snd.c.quiet(300, (el) => el.name === 'message');
    const rc = (await t.login(edgeB, r.name)).c;
    expect((await query(rc, { before: '' })).items.map((i) => i.body)).toEqual(['offline 1', 'offline 2', 'offline 3']);
    rc.send('<presence/>');
    await rc.quiet(600, (el) => el.name === 'message');
    // Gone from offline storage: another session coming online the old way gets nothing either.
    const other = await t.login(edgeA, r.name, { presence: true, resource: 'old' });
    await other.c.quiet(500, (el) => el.name === 'message');
  });

  it('advertises mam:2 and sid:0 on the account, answers the form and prefs (default always; never stops archiving)', async () => {
    const u = await t.account('mamp');
    const p = await t.account('mamq');
    const c = (await t.login(edgeA, u.name, { presence: true })).c;
    const peer = (await t.login(edgeB, p.name, { presence: true })).c;
    c.send(`<iq type='get' id='di' to='${u.bare}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    const features = (await c.until((el) => el.attrs.id === 'di'))
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([MAM, SID]));
    c.send(`<iq type='get' id='fm'><query xmlns='${MAM}'/></iq>`);
    const form = (await c.until((el) => el.attrs.id === 'fm')).getChild('query')?.getChild('x', 'jabber:x:data');
    expect(form?.getChildren('field').map((f) => f.attrs.var)).toEqual(['FORM_TYPE', 'with', 'start', 'end']);
    c.send(`<iq type='get' id='pg'><prefs xmlns='${MAM}'/></iq>`);
    expect((await c.until((el) => el.attrs.id === 'pg')).getChild('prefs', MAM)?.attrs.default).toBe('always');
    c.send(`<iq type='set' id='ps'><prefs xmlns='${MAM}' default='never'><always/><never/></prefs></iq>`);
    expect((await c.until((el) => el.attrs.id === 'ps')).attrs.type).toBe('result');
    c.send(`<message to='${p.bare}' type='chat' id='nv'><body>unarchived</body></message>`);
    const got = await peer.until(message('nv'));
    expect(sids(got).map((s) => s.by)).toEqual([p.bare]); // the peer's archive still takes it
    expect((await query(c)).items).toHaveLength(0);
  });

  it('@xmpp/client: a second device gets the history', async () => {
    const a = await t.account('mamx');
    const b = await t.account('mamy');
    const sender = await t.login(edgeA, a.name, { presence: true });
    for (let i = 1; i <= 3; i++) sender.c.send(`<message to='${b.bare}' type='chat' id='x${i}'><body>hi ${i}</body></message>`);
    await sender.c.quiet(300, (el) => el.name === 'message');
    const xc = client({ service: `xmpp://127.0.0.1:${edgeB}`, domain: 'localhost', username: b.name, password: TEST_PASSWORD, resource: 'second' });
    xc.on('error', () => undefined);
    started.push(xc);
    const results: Element[] = [];
    xc.on('stanza', (st: Element) => {
      if (st.is('message') && st.getChild('result', MAM)) results.push(st);
    });
    await xc.start();
    // The result carries <fin/>, not the <query/> iqCaller.set would look for: ask with request().
    const caller = xc.iqCaller as unknown as { request(el: Element): Promise<Element> };
    const res = await caller.request(
      xml('iq', { type: 'set', id: 'h1' }, xml('query', { xmlns: MAM, queryid: 'h' }, xml('set', { xmlns: RSM }, xml('max', {}, '2'), xml('before')))),
    );
    const fin = res.getChild('fin', MAM);
    expect(fin?.attrs.complete).toBeUndefined();
    expect(fin?.getChild('set', RSM)?.getChildText('last')).toBe(results[1]?.getChild('result')?.attrs.id);
    expect(results.map((r) => r.getChild('result')?.getChild('forwarded')?.getChild('message')?.getChildText('body'))).toEqual(['hi 2', 'hi 3']);
    expect(results.every((r) => r.getChild('result')?.attrs.queryid === 'h')).toBe(true);
  });

  it('xmppctl purge-archive empties one archive; removing the account deletes its archive', async () => {
    const u = await t.account('mamu');
    const p = await t.account('mamv');
    const uc = (await t.login(edgeA, u.name, { presence: true })).c;
    const pc = (await t.login(edgeB, p.name, { presence: true })).c;
    uc.send(`<message to='${p.bare}' type='chat' id='g1'><body>one</body></message>`);
    await pc.until(message('g1'));
    expect((await query(uc)).items).toHaveLength(1);
    const ctl = join(__dirname, '../../../dist/apps/xmppctl/main.cjs');
    const { stdout } = await promisify(execFile)(process.execPath, [ctl, 'purge-archive', u.name], { env: { ...process.env, ...adminEnv } });
    expect(stdout).toContain(`purged the archive of ${u.bare}`);
    expect((await query(uc)).items).toHaveLength(0);
    uc.send(`<message to='${p.bare}' type='chat' id='g2'><body>two</body></message>`);
    await pc.until(message('g2'));
    expect((await query(uc)).items.map((i) => i.body)).toEqual(['two']);
    expect((await query(pc)).items.map((i) => i.body)).toEqual(['one', 'two']);
    pc.send(`<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>`);
    expect((await pc.until((el) => el.attrs.id === 'rm')).attrs.type).toBe('result');
    await register(edgeB, p.name, TEST_PASSWORD);
    const again = (await t.login(edgeA, p.name)).c;
    expect((await query(again)).items).toHaveLength(0);
  });

  it('slixmpp (xep_0313) pages the history forwards, backwards and with a peer', async () => {
    const u = await t.account('mamslix');
    const p1 = await t.account('mamp1');
    const p2 = await t.account('mamp2');
    const c1 = (await t.login(edgeA, p1.name, { presence: true })).c;
    const c2 = (await t.login(edgeB, p2.name, { presence: true })).c;
    const sent: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const [c, from] = i % 3 === 0 ? [c2, 'p2'] : [c1, 'p1'];
      c.send(`<message to='${u.bare}' type='chat' id='s${i}'><body>${from} ${i}</body></message>`);
      sent.push(`${from} ${i}`);
      // A ping is answered once the router confirmed what came before it, archive appends included: in order across both edges.
      c.send(`<iq type='get' id='order${i}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      expect((await c.until((el) => el.attrs.id === `order${i}`)).attrs.type).toBe('result');
    }
    const { code, events, stderr: err } = await runSlixmpp('mam.py', [u.bare, TEST_PASSWORD, '127.0.0.1', String(edgeB), certFile, p1.bare, '3']);
    const ev = (name: string) => events.find((e) => e.event === name) as { bodies?: string[]; ids?: string[] } | undefined;
    expect(code, err.slice(-2000)).toBe(0);
    expect(ev('forward')?.bodies).toEqual(sent);
    expect(ev('backward')?.bodies).toEqual([...sent].reverse());
    expect(ev('backward')?.ids).toEqual([...(ev('forward')?.ids ?? [])].reverse());
    expect(ev('with')?.bodies).toEqual(sent.filter((b) => b.startsWith('p1')));
  }, 40_000);
});
