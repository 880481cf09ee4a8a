// Room history in the message archive: the room's stanza-id on every
// occupant's copy (the same for all, a forged one dropped), join history
// from the archive with delay and stanza-id, XEP-0313 queries to the room
// with paging, who may query a members-only room, XEP-0425 moderation
// (tombstone in later queries, the notice to occupants, moderators only), and
// a room whose owner turned archiving off. Users on both edges (so both
// routers). Raw XML.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { TestSessions, type RawClient } from '@cx/testing';
import { ADMIN, INFO, iq, MUC, OWNER, presenceFrom, SERVICE, USER } from './muc-helpers';

const roomName = () => `hist-${randomUUID().slice(0, 8)}@${SERVICE}`;

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());

const MAM = 'urn:xmpp:mam:2';
const SID = 'urn:xmpp:sid:0';
const RETRACT = 'urn:xmpp:message-retract:1';
const MODERATE = 'urn:xmpp:message-moderate:1';

const stanzaId = (m: Element, by: string) => m.getChildren('stanza-id', SID).find((s) => s.attrs.by === by)?.attrs.id;
const isBody = (el: Element) => el.name === 'message' && el.attrs.type === 'groupchat' && !!el.getChild('body');

/** Join and wait for the subject that ends the join (the history, if any, comes before it: returned). */
async function join(c: RawClient, occupant: string, history = ''): Promise<Element[]> {
  c.send(`<presence to='${occupant}'><x xmlns='${MUC}'>${history}</x></presence>`);
  await c.until(presenceFrom(occupant));
  const got: Element[] = [];
  for (;;) {
    const m = await c.until((el) => el.name === 'message');
    if (m.getChild('subject')) return got;
    got.push(m);
  }
}

async function createRoom(c: RawClient, room: string, nick: string, fields: Record<string, string> = {}): Promise<void> {
  c.send(`<presence to='${room}/${nick}'><x xmlns='${MUC}'/></presence>`);
  await c.until(presenceFrom(`${room}/${nick}`));
  const form = Object.entries(fields)
    .map(([k, v]) => `<field var='muc#roomconfig_${k}'><value>${v}</value></field>`)
    .join('');
  const r = await iq(c, 'set', room, `<query xmlns='${OWNER}'><x xmlns='jabber:x:data' type='submit'>${form}</x></query>`);
  expect(r.attrs.type).toBe('result');
}

interface Page {
  iq: Element;
  results: Element[];
}

let ids = 0;

/** A MAM query to the room: its result messages (checked: from the room, to us) and the iq result. */
async function mam(c: RawClient, me: string, room: string, rsm: string): Promise<Page> {
  const id = `mam${++ids}`;
  const queryid = `q${ids}`;
  c.send(
    `<iq type='set' id='${id}' to='${room}'><query xmlns='${MAM}' queryid='${queryid}'><set xmlns='http://jabber.org/protocol/rsm'>${rsm}</set></query></iq>`,
  );
  const results: Element[] = [];
  for (;;) {
    const el = await c.until((e) => (e.name === 'iq' && e.attrs.id === id) || (e.name === 'message' && !!e.getChild('result', MAM)));
    if (el.name === 'iq') return { iq: el, results };
    expect(el.attrs.from).toBe(room);
    expect(el.attrs.to).toBe(me);
    expect(el.getChild('result', MAM)?.attrs.queryid).toBe(queryid);
    results.push(el);
  }
}

const forwarded = (r: Element) => r.getChild('result', MAM)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message') as Element;
const bodies = (p: Page) => p.results.map((r) => forwarded(r)?.getChildText('body'));
const fin = (p: Page) => p.iq.getChild('fin', MAM);

describe('MUC room history (XEP-0313 on rooms, XEP-0359, XEP-0425)', () => {
  it('stamps one stanza-id by the room for all, serves join history and MAM pages from the archive, and moderates', async () => {
    const [a, b, c] = [await t.account('mhown'), await t.account('mhpart'), await t.account('mhlate')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'owner');
    await join(sb.c, `${room}/bob`, "<history maxstanzas='0'/>");

    const info = await iq(sb.c, 'get', room, `<query xmlns='${INFO}'/>`);
    const features = info
      .getChild('query', INFO)
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([MAM, SID, 'http://jabber.org/protocol/muc#stable_id', MODERATE]));

    // Five messages; the first carries a stanza-id forged in the room's name.
    for (let n = 1; n <= 5; n++) {
      const forged = n === 1 ? `<stanza-id xmlns='${SID}' by='${room}' id='forged'/>` : '';
      sb.c.send(`<message to='${room}' type='groupchat' id='m${n}'><body>msg ${n}</body>${forged}</message>`);
    }
    const seen: Record<string, string[]> = { a: [], b: [] };
    for (const [k, s] of [
      ['a', sa],
      ['b', sb],
    ] as const) {
      for (let n = 1; n <= 5; n++) {
        const m = await s.c.until(isBody);
        expect(m.getChildText('body')).toBe(`msg ${n}`);
        expect(m.getChildren('stanza-id', SID).filter((e) => e.attrs.by === room)).toHaveLength(1);
        const id = stanzaId(m, room);
        expect(id).toBeTruthy();
        expect(id).not.toBe('forged');
        seen[k].push(id ?? '');
      }
    }
    expect(seen.a).toEqual(seen.b);
    expect(new Set(seen.a).size).toBe(5);

    // A late joiner (the other edge from bob) gets the last three from the archive, with delay and stanza-id.
    const sc = await t.login(edgeA, c.name, { presence: true });
    const history = await join(sc.c, `${room}/carol`, "<history maxstanzas='3'/>");
    expect(history.map((m) => m.getChildText('body'))).toEqual(['msg 3', 'msg 4', 'msg 5']);
    for (const [i, m] of history.entries()) {
      expect(m.attrs.from).toBe(`${room}/bob`);
      expect(m.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe(room);
      expect(stanzaId(m, room)).toBe(seen.a[i + 2]);
      expect(m.getChild('x', USER)).toBeUndefined();
    }
    // No <history/>: the service's default (the last MUC_HISTORY_MESSAGES, here all five).
    const sc2 = await t.login(edgeB, c.name, { presence: true });
    expect((await join(sc2.c, `${room}/carol2`)).map((m) => m.getChildText('body'))).toEqual(['msg 1', 'msg 2', 'msg 3', 'msg 4', 'msg 5']);

    // MAM on the room, paged forwards two at a time, results as the occupants saw them.
    const p1 = await mam(sc.c, sc.jid, room, '<max>2</max>');
    expect(p1.iq.attrs.type).toBe('result');
    expect(bodies(p1)).toEqual(['msg 1', 'msg 2']);
    expect(p1.results.map((r) => r.getChild('result', MAM)?.attrs.id)).toEqual(seen.a.slice(0, 2));
    expect(forwarded(p1.results[0]).attrs.from).toBe(`${room}/bob`);
    // A semi-anonymous room: the real JID only for moderators (the owner), as it was archived (bare).
    expect(forwarded(p1.results[0]).getChild('x', USER)).toBeUndefined();
    const mod = await mam(sa.c, sa.jid, room, '<max>1</max>');
    expect(forwarded(mod.results[0]).getChild('x', USER)?.getChild('item')?.attrs.jid).toBe(`${b.name}@localhost`);
    expect(fin(p1)?.attrs.complete).toBeUndefined();
    const last = fin(p1)?.getChild('set')?.getChildText('last') ?? '';
    const p2 = await mam(sc.c, sc.jid, room, `<max>2</max><after>${last}</after>`);
    expect(bodies(p2)).toEqual(['msg 3', 'msg 4']);
    const p3 = await mam(sc.c, sc.jid, room, `<max>2</max><after>${fin(p2)?.getChild('set')?.getChildText('last')}</after>`);
    expect(bodies(p3)).toEqual(['msg 5']);
    expect(fin(p3)?.attrs.complete).toBe('true');
    // The last page backwards.
    const back = await mam(sc.c, sc.jid, room, '<max>2</max><before/>');
    expect(bodies(back)).toEqual(['msg 4', 'msg 5']);

    // A participant may not moderate.
    const moderate = (id: string, reason: string) =>
      `<moderate xmlns='${MODERATE}' id='${id}'><retract xmlns='${RETRACT}'/><reason>${reason}</reason></moderate>`;
    const refused = await iq(sb.c, 'set', room, moderate(seen.a[1], 'no'));
    expect(refused.attrs.type).toBe('error');
    expect(refused.getChild('error')?.getChild('forbidden')).toBeTruthy();
    // An unknown id: item-not-found.
    const unknown = await iq(sa.c, 'set', room, moderate('0-00000000zz', 'x'));
    expect(unknown.getChild('error')?.getChild('item-not-found')).toBeTruthy();
    // The owner (a moderator) retracts msg 2: every occupant is told, from the room.
    sa.c.send(`<iq type='set' id='modok' to='${room}'>${moderate(seen.a[1], 'spam')}</iq>`);
    for (const s of [sa, sb, sc]) {
      const n = await s.c.until((el) => el.name === 'message' && !!el.getChild('retract', RETRACT));
      expect(n.attrs.from).toBe(room);
      const r = n.getChild('retract', RETRACT);
      expect(r?.attrs.id).toBe(seen.a[1]);
      expect(r?.getChild('moderated', MODERATE)?.attrs.by).toBe(`${room}/owner`);
      expect(r?.getChildText('reason')).toBe('spam');
    }
    // The result comes after the notice (the room tells everyone first).
    expect((await sa.c.until((el) => el.name === 'iq' && el.attrs.id === 'modok')).attrs.type).toBe('result');
    // A later query has the tombstone in its place: same id, no body.
    const after = await mam(sc.c, sc.jid, room, '<max>3</max>');
    expect(after.results.map((r) => r.getChild('result', MAM)?.attrs.id)).toEqual(seen.a.slice(0, 3));
    expect(bodies(after)).toEqual(['msg 1', null, 'msg 3']);
    const tomb = forwarded(after.results[1]);
    expect(tomb.attrs.from).toBe(`${room}/bob`);
    expect(tomb.getChild('retracted', RETRACT)?.getChild('moderated', MODERATE)?.attrs.by).toBe(`${room}/owner`);
    expect(tomb.toString()).not.toContain('msg 2');
  });

  it('gives a message sent again (same id, same content) the same stanza-id and archives it once', async () => {
    const [a, b] = [await t.account('mhdup'), await t.account('mhdup2')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'owner');
    await join(sb.c, `${room}/bob`);
    for (let i = 0; i < 2; i++) sb.c.send(`<message to='${room}' type='groupchat' id='same'><body>twice</body></message>`);
    const [m1, m2] = [await sa.c.until(isBody), await sa.c.until(isBody)];
    expect(stanzaId(m1, room)).toBeTruthy();
    expect(stanzaId(m2, room)).toBe(stanzaId(m1, room));
    expect(bodies(await mam(sa.c, sa.jid, room, '<max>5</max>'))).toEqual(['twice']);
  });

  it('keeps the archive of a members-only room from non-members', async () => {
    const [a, e] = [await t.account('mhmown'), await t.account('mhmout')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const se = await t.login(edgeB, e.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'owner', { membersonly: '1' });
    sa.c.send(`<message to='${room}' type='groupchat'><body>members only</body></message>`);
    await sa.c.until(isBody);
    const refused = await mam(se.c, se.jid, room, '<max>5</max>');
    expect(refused.results).toHaveLength(0);
    expect(refused.iq.attrs.type).toBe('error');
    expect(refused.iq.getChild('error')?.getChild('forbidden')).toBeTruthy();
    // Once a member, the same user may read it without being in the room.
    const granted = await iq(sa.c, 'set', room, `<query xmlns='${ADMIN}'><item affiliation='member' jid='${e.name}@localhost'/></query>`);
    expect(granted.attrs.type).toBe('result');
    const member = await mam(se.c, se.jid, room, '<max>5</max>');
    expect(bodies(member)).toEqual(['members only']);
  });

  it('neither stamps nor offers MAM in a room whose owner turned archiving off, and still serves join history', async () => {
    const [a, b] = [await t.account('mhoff'), await t.account('mhoff2')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'owner', { enablearchiving: '0' });
    sa.c.send(`<message to='${room}' type='groupchat'><body>not archived</body></message>`);
    const m = await sa.c.until(isBody);
    expect(stanzaId(m, room)).toBeUndefined();
    const info = await iq(sa.c, 'get', room, `<query xmlns='${INFO}'/>`);
    const features = info
      .getChild('query', INFO)
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).not.toContain(MAM);
    expect(features).not.toContain(MODERATE);
    const q = await mam(sa.c, sa.jid, room, '<max>5</max>');
    expect(q.iq.attrs.type).toBe('error');
    const history = await join(sb.c, `${room}/bob`);
    expect(history.map((h) => h.getChildText('body'))).toEqual(['not archived']);
  });
});
