// XEP-0045 roles and configuration: a moderated room (visitors refused,
// voice requested and approved, voice and moderator given and taken), role
// lists, a kick by a moderator, room disco#info following the configuration,
// the room's avatar (XEP-0486: vCard set by its owner, the hash in the room's
// presence and muc#roominfo), muc#roomconfig_allowinvites, and XEP-0249
// direct invitations routed as ordinary messages. Users on both edges. Raw XML.
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { TestSessions, type RawClient } from '@cx/testing';
import { ADMIN, codes, INFO, iq, MUC, OWNER, presenceFrom, SERVICE, USER } from './muc-helpers';

const roomName = () => `roles-${randomUUID().slice(0, 8)}@${SERVICE}`;

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());

const REQUEST = `${MUC}#request`;
const DATA = 'jabber:x:data';

const item = (p: Element) => p.getChild('x', USER)?.getChild('item')?.attrs ?? {};
const errorOf = (el: Element) =>
  el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;

function join(c: RawClient, occupant: string, extra = ''): void {
  c.send(`<presence to='${occupant}'><x xmlns='${MUC}'><history maxstanzas='0'/>${extra}</x></presence>`);
}

/** Join and wait for the subject that ends the join; the own presence is returned. */
async function joined(c: RawClient, occupant: string, extra = ''): Promise<Element> {
  join(c, occupant, extra);
  const self = await c.until(presenceFrom(occupant));
  await c.until((el) => el.name === 'message' && !!el.getChild('subject'));
  return self;
}

const form = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`)
    .join('');

async function createRoom(c: RawClient, room: string, nick: string, fields: Record<string, string> = {}): Promise<void> {
  join(c, `${room}/${nick}`);
  expect(codes(await c.until(presenceFrom(`${room}/${nick}`)))).toEqual([110, 201]);
  await c.until((el) => el.name === 'message' && !!el.getChild('subject'));
  const config = Object.fromEntries(Object.entries(fields).map(([k, v]) => [`muc#roomconfig_${k}`, v]));
  const r = await iq(c, 'set', room, `<query xmlns='${OWNER}'><x xmlns='${DATA}' type='submit'>${form(config)}</x></query>`);
  expect(r.attrs.type).toBe('result');
}

async function features(c: RawClient, room: string): Promise<{ features: string[]; fields: Map<string, string[]> }> {
  const q = (await iq(c, 'get', room, `<query xmlns='${INFO}'/>`)).getChild('query', INFO);
  const fields = new Map<string, string[]>();
  for (const f of q?.getChild('x', DATA)?.getChildren('field') ?? [])
    fields.set(
      f.attrs.var ?? '',
      f.getChildren('value').map((v) => v.getText()),
    );
  return { features: q?.getChildren('feature').map((f) => f.attrs.var ?? '') ?? [], fields };
}

describe('MUC roles and configuration (XEP-0045 §7.13, §8, §9.6–9.8, §10.2)', () => {
  it('makes newcomers visitors in a moderated room, refuses their messages, gives voice on request and by muc#admin, lists roles, and lets a moderator kick', async () => {
    const [a, b, c] = [await t.account('rolesown'), await t.account('rolesvis'), await t.account('rolesthird')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const sc = await t.login(edgeA, c.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'alice', { moderatedroom: '1' });

    const self = await joined(sb.c, `${room}/bob`);
    expect(item(self)).toMatchObject({ affiliation: 'none', role: 'visitor' });
    expect(item(await sa.c.until(presenceFrom(`${room}/bob`)))).toMatchObject({ role: 'visitor' });

    // §7.4: a visitor has no voice.
    sb.c.send(`<message to='${room}' type='groupchat' id='v1'><body>may I?</body></message>`);
    const refused = await sb.c.until((el) => el.name === 'message' && el.attrs.id === 'v1');
    expect(refused.attrs.type).toBe('error');
    expect(errorOf(refused)).toBe('forbidden');
    sb.c.send(`<message to='${room}' type='groupchat' id='v2'><subject>mine</subject></message>`);
    expect(errorOf(await sb.c.until((el) => el.name === 'message' && el.attrs.id === 'v2'))).toBe('forbidden');

    // §7.13: a voice request goes to the moderators as the §8.6 form; the moderator approves it.
    sb.c.send(`<message to='${room}' id='ask'><x xmlns='${DATA}' type='submit'>${form({ FORM_TYPE: REQUEST, 'muc#role': 'participant' })}</x></message>`);
    const approval = await sa.c.until((el) => el.name === 'message' && el.attrs.from === room && !!el.getChild('x', DATA));
    const fields = new Map((approval.getChild('x', DATA)?.getChildren('field') ?? []).map((f) => [f.attrs.var, f.getChildText('value')] as const));
    expect(fields.get('FORM_TYPE')).toBe(REQUEST);
    expect(fields.get('muc#roomnick')).toBe('bob');
    expect(fields.get('muc#jid')).toBe(sb.jid);
    sa.c.send(
      `<message to='${room}'><x xmlns='${DATA}' type='submit'>${form({ FORM_TYPE: REQUEST, 'muc#role': 'participant', 'muc#jid': sb.jid, 'muc#roomnick': 'bob', 'muc#request_allow': 'true' })}</x></message>`,
    );
    expect(item(await sb.c.until(presenceFrom(`${room}/bob`)))).toMatchObject({ role: 'participant' });
    expect(item(await sa.c.until(presenceFrom(`${room}/bob`)))).toMatchObject({ role: 'participant' });
    sb.c.send(`<message to='${room}' type='groupchat' id='v3'><body>thanks</body></message>`);
    const said = await sa.c.until((el) => el.name === 'message' && el.attrs.from === `${room}/bob` && el.attrs.type === 'groupchat');
    expect(said.getChildText('body')).toBe('thanks');

    // §8.5: the voice list, for moderators only.
    const voiced = await iq(sa.c, 'get', room, `<query xmlns='${ADMIN}'><item role='participant'/></query>`);
    expect(
      voiced
        .getChild('query', ADMIN)
        ?.getChildren('item')
        .map((i) => i.attrs.nick),
    ).toEqual(['bob']);
    const notMod = await iq(sb.c, 'get', room, `<query xmlns='${ADMIN}'><item role='participant'/></query>`);
    expect(errorOf(notMod)).toBe('forbidden');

    // §8.4 revoke voice; a participant may change no role.
    expect((await iq(sa.c, 'set', room, `<query xmlns='${ADMIN}'><item nick='bob' role='visitor'><reason>calm down</reason></item></query>`)).attrs.type).toBe(
      'result',
    );
    const muted = await sb.c.until(presenceFrom(`${room}/bob`));
    expect(item(muted)).toMatchObject({ role: 'visitor' });
    expect(muted.getChild('x', USER)?.getChild('item')?.getChildText('reason')).toBe('calm down');
    expect(muted.getChild('x', USER)?.getChild('item')?.getChild('actor')?.attrs.nick).toBe('alice');
    expect(errorOf(await iq(sb.c, 'set', room, `<query xmlns='${ADMIN}'><item nick='alice' role='visitor'/></query>`))).toBe('forbidden');

    // §9.6: the owner makes bob a moderator; he may not touch the owner's role, but may kick a visitor (§8.2).
    expect((await iq(sa.c, 'set', room, `<query xmlns='${ADMIN}'><item nick='bob' role='moderator'/></query>`)).attrs.type).toBe('result');
    const promoted = await sb.c.until(presenceFrom(`${room}/bob`));
    expect(item(promoted)).toMatchObject({ role: 'moderator' });
    expect(codes(promoted)).toEqual([110]);
    // A moderator of a semi-anonymous room sees real JIDs: the others' presence comes again, with them.
    expect(item(await sb.c.until(presenceFrom(`${room}/alice`)))).toMatchObject({ jid: sa.jid, role: 'moderator' });
    const mods = await iq(sb.c, 'get', room, `<query xmlns='${ADMIN}'><item role='moderator'/></query>`);
    expect(
      mods
        .getChild('query', ADMIN)
        ?.getChildren('item')
        .map((i) => i.attrs.nick)
        .sort(),
    ).toEqual(['alice', 'bob']);
    expect(errorOf(await iq(sb.c, 'set', room, `<query xmlns='${ADMIN}'><item nick='alice' role='visitor'/></query>`))).toBe('not-allowed');
    expect(item(await joined(sc.c, `${room}/carol`))).toMatchObject({ role: 'visitor' });
    expect((await iq(sb.c, 'set', room, `<query xmlns='${ADMIN}'><item nick='carol' role='none'><reason>out</reason></item></query>`)).attrs.type).toBe(
      'result',
    );
    const kicked = await sc.c.until(presenceFrom(`${room}/carol`, 'unavailable'));
    expect(codes(kicked)).toEqual([110, 307]);
    // §8.2: the kicked occupant learns who and why; the others why.
    expect(kicked.getChild('x', USER)?.getChild('item')?.getChild('actor')?.attrs.nick).toBe('bob');
    expect(kicked.getChild('x', USER)?.getChild('item')?.getChildText('reason')).toBe('out');
    const seenKick = await sa.c.until(presenceFrom(`${room}/carol`, 'unavailable'));
    expect(codes(seenKick)).toEqual([307]);
    expect(seenKick.getChild('x', USER)?.getChild('item')?.getChildText('reason')).toBe('out');
  });

  it("shows the configuration in the room's disco#info, and keeps the room's avatar (XEP-0486)", async () => {
    const [a, b] = [await t.account('rolesinfo'), await t.account('rolesguest')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'alice', {
      roomdesc: 'About roles',
      moderatedroom: '1',
      whois: 'anyone',
      persistentroom: '1',
      publicroom: '0',
      passwordprotectedroom: '1',
      roomsecret: 'sesame',
    });
    expect((await features(sb.c, SERVICE)).features).toContain('vcard-temp');
    const info = await features(sb.c, room);
    expect(info.features).toEqual(
      expect.arrayContaining([
        MUC,
        'muc_moderated',
        'muc_nonanonymous',
        'muc_persistent',
        'muc_hidden',
        'muc_passwordprotected',
        'muc_open',
        'vcard-temp',
        REQUEST,
        'urn:xmpp:occupant-id:0',
        'http://jabber.org/protocol/muc#self-ping-optimization',
      ]),
    );
    expect(info.features).not.toContain('muc_unmoderated');
    expect(info.fields.get('FORM_TYPE')).toEqual([`${MUC}#roominfo`]);
    expect(info.fields.get('muc#roominfo_description')).toEqual(['About roles']);
    expect(info.fields.get('muc#roominfo_occupants')).toEqual(['1']);
    expect(info.fields.get('muc#roominfo_contactjid')).toEqual([a.bare]);
    expect(info.fields.get('muc#roomconfig_allowpm')).toEqual(['anyone']);
    expect(info.fields.get('muc#roominfo_changesubject')).toEqual(['0']);
    expect(info.fields.has('muc#roominfo_avatarhash')).toBe(false);

    // Non-anonymous: status 100 on entering.
    const self = await joined(sb.c, `${room}/bob`, '<password>sesame</password>');
    expect(codes(self)).toEqual([100, 110]);

    // The owner sets the avatar; occupants get the room's presence with the hash and a 104.
    const image = Buffer.from('not really a png');
    const png = image.toString('base64');
    const forbidden = await iq(sb.c, 'set', room, `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>${png}</BINVAL></PHOTO></vCard>`);
    expect(errorOf(forbidden)).toBe('forbidden');
    const set = await iq(sa.c, 'set', room, `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>${png}</BINVAL></PHOTO></vCard>`);
    expect(set.attrs.type).toBe('result');
    const roomPresence = await sb.c.until(presenceFrom(room));
    const photo = roomPresence.getChild('x', 'vcard-temp:x:update')?.getChildText('photo');
    expect(photo).toBe(createHash('sha1').update(image).digest('hex'));
    const changed = await sb.c.until((el) => el.name === 'message' && el.attrs.from === room);
    expect(codes(changed)).toEqual([104]);
    const vcard = (await iq(sb.c, 'get', room, `<vCard xmlns='vcard-temp'/>`)).getChild('vCard', 'vcard-temp');
    expect(vcard?.getChild('PHOTO')?.getChildText('BINVAL')).toBe(png);
    expect((await features(sb.c, room)).fields.get('muc#roominfo_avatarhash')).toEqual([photo]);
    // A joiner gets the room's presence with the hash after the subject.
    const sc = await t.login(edgeA, (await t.account('rolesjoiner')).name, { presence: true });
    await joined(sc.c, `${room}/carol`, '<password>sesame</password>');
    expect((await sc.c.until(presenceFrom(room))).getChild('x', 'vcard-temp:x:update')?.getChildText('photo')).toBe(photo);

    // An empty vCard removes it.
    expect((await iq(sa.c, 'set', room, `<vCard xmlns='vcard-temp'/>`)).attrs.type).toBe('result');
    expect((await features(sb.c, room)).fields.has('muc#roominfo_avatarhash')).toBe(false);

    // Members-only and unmoderated now: the features follow.
    const r = await iq(
      sa.c,
      'set',
      room,
      `<query xmlns='${OWNER}'><x xmlns='${DATA}' type='submit'>${form({ 'muc#roomconfig_membersonly': '1', 'muc#roomconfig_moderatedroom': '0' })}</x></query>`,
    );
    expect(r.attrs.type).toBe('result');
    const after = await features(sa.c, room);
    expect(after.features).toEqual(expect.arrayContaining(['muc_membersonly', 'muc_unmoderated']));
  });

  it('routes XEP-0249 direct invitations as messages, and with allowinvites off lets only moderators send mediated ones', async () => {
    const [a, b, c] = [await t.account('rolesinv'), await t.account('rolesinvited'), await t.account('rolesinvitee')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const sc = await t.login(edgeB, c.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'alice', { allowinvites: '0' });

    sa.c.send(`<message to='${b.bare}' id='direct'><x xmlns='jabber:x:conference' jid='${room}' reason='come in'/></message>`);
    const direct = await sb.c.until((el) => el.name === 'message' && el.attrs.id === 'direct');
    expect(direct.attrs.from).toBe(sa.jid);
    expect(direct.getChild('x', 'jabber:x:conference')?.attrs).toMatchObject({ jid: room, reason: 'come in' });

    await joined(sb.c, `${room}/bob`);
    sb.c.send(`<message to='${room}' id='inv1'><x xmlns='${USER}'><invite to='${c.bare}'/></x></message>`);
    expect(errorOf(await sb.c.until((el) => el.name === 'message' && el.attrs.id === 'inv1'))).toBe('forbidden');
    sa.c.send(`<message to='${room}' id='inv2'><x xmlns='${USER}'><invite to='${c.bare}'/></x></message>`);
    const invited = await sc.c.until((el) => el.name === 'message' && el.attrs.from === room);
    expect(invited.getChild('x', USER)?.getChild('invite')?.attrs.from).toBe(a.bare);
  });
});
