// XEP-0045 group chat, first slice: the service in the domain's disco,
// creating a room by joining it, the join sequence with its status codes,
// groupchat, subject, private messages, leaving (explicitly and by a session
// ending), configuration, password and members-only rooms; users on both
// edges (and so either router). Raw XML.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { register, TEST_PASSWORD, TestSessions, type RawClient } from '@cx/testing';
import { codes, INFO, iq, ITEMS, MUC, OWNER, presenceFrom, roomName, SERVICE, USER } from './muc-helpers';

const [edgeA, edgeB] = inject('edgePorts');
const t = new TestSessions(edgeA);
afterEach(() => t.closeAll());

function join(c: RawClient, occupant: string, extra = ''): void {
  c.send(`<presence to='${occupant}'><x xmlns='${MUC}'>${extra}</x></presence>`);
}

/** A user creates an instant room (XEP-0045 §10.1.2) and configures it with these fields. */
async function createRoom(c: RawClient, room: string, nick: string, fields: Record<string, string> = {}): Promise<void> {
  join(c, `${room}/${nick}`);
  const self = await c.until(presenceFrom(`${room}/${nick}`));
  expect(codes(self)).toEqual([110, 201]);
  const form = Object.entries(fields)
    .map(([k, v]) => `<field var='muc#roomconfig_${k}'><value>${v}</value></field>`)
    .join('');
  const r = await iq(c, 'set', room, `<query xmlns='${OWNER}'><x xmlns='jabber:x:data' type='submit'>${form}</x></query>`);
  expect(r.attrs.type).toBe('result');
}

describe('MUC (XEP-0045)', () => {
  it('is listed in the domain disco#items and answers its disco#info', async () => {
    const a = await t.account('mucdisco');
    const s = await t.login(edgeA, a.name);
    const items = await iq(s.c, 'get', 'localhost', `<query xmlns='${ITEMS}'/>`);
    expect(
      items
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toContain(SERVICE);
    const info = await iq(s.c, 'get', SERVICE, `<query xmlns='${INFO}'/>`);
    const q = info.getChild('query', INFO);
    expect(q?.getChild('identity')?.attrs).toMatchObject({ category: 'conference', type: 'text' });
    expect(q?.getChildren('feature').map((f) => f.attrs.var)).toContain(MUC);
  });

  it('creates a room by joining, lets others in from the other edge, broadcasts, sets the subject, carries private messages, and tells who left', async () => {
    const [a, b] = [await t.account('mucown'), await t.account('mucpart')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const room = roomName();
    // Locked until configured: nobody else may enter.
    join(sa.c, `${room}/owner`);
    expect(codes(await sa.c.until(presenceFrom(`${room}/owner`)))).toEqual([110, 201]);
    join(sb.c, `${room}/early`);
    const locked = await sb.c.until(presenceFrom(`${room}/early`, 'error'));
    expect(locked.getChild('error')?.getChild('item-not-found')).toBeTruthy();
    const r = await iq(sa.c, 'set', room, `<query xmlns='${OWNER}'><x xmlns='jabber:x:data' type='submit'/></query>`);
    expect(r.attrs.type).toBe('result');

    // The room is public: listed, with its disco#info.
    const listed = await iq(sb.c, 'get', SERVICE, `<query xmlns='${ITEMS}'/>`);
    expect(
      listed
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toContain(room);

    join(sb.c, `${room}/bob`, '<history maxstanzas="0"/>');
    // The existing occupant first, then one's own presence (110), then the subject.
    const first = await sb.c.until((el) => el.name === 'presence');
    expect(first.attrs.from).toBe(`${room}/owner`);
    expect(first.getChild('x', USER)?.getChild('item')?.attrs).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    const self = await sb.c.until((el) => el.name === 'presence');
    expect(self.attrs.from).toBe(`${room}/bob`);
    expect(codes(self)).toEqual([110]);
    const subject = await sb.c.until((el) => el.name === 'message');
    expect(subject.getChild('subject')).toBeTruthy();
    expect(subject.getChild('body')).toBeUndefined();
    const seen = await sa.c.until(presenceFrom(`${room}/bob`));
    expect(seen.getChild('x', USER)?.getChild('item')?.attrs).toMatchObject({ affiliation: 'none', role: 'participant', jid: sb.jid });

    const info = await iq(sb.c, 'get', room, `<query xmlns='${INFO}'/>`);
    const features = info
      .getChild('query', INFO)
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(
      expect.arrayContaining([MUC, 'urn:xmpp:occupant-id:0', 'muc_temporary', 'muc_open', 'muc_semianonymous', 'muc_public', 'muc_unsecured']),
    );
    const fields = info.getChild('query', INFO)?.getChild('x', 'jabber:x:data')?.getChildren('field') ?? [];
    expect(fields.find((f) => f.attrs.var === 'muc#roominfo_occupants')?.getChildText('value')).toBe('2');

    // Nick in use: conflict.
    const c = await t.account('mucthird');
    const sc = await t.login(edgeA, c.name, { presence: true });
    join(sc.c, `${room}/bob`);
    const conflict = await sc.c.until(presenceFrom(`${room}/bob`, 'error'));
    expect(conflict.getChild('error')?.getChild('conflict')).toBeTruthy();

    // Groupchat: to everyone, from room/nick, in order.
    expect(seen.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // A forged occupant id is dropped (XEP-0421 §4).
    for (const n of [1, 2, 3])
      sb.c.send(`<message to='${room}' type='groupchat' id='g${n}'><body>hello ${n}</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>`);
    for (const s of [sa, sb]) {
      const got: string[] = [];
      for (let n = 0; n < 3; n++) {
        const m = await s.c.until((el) => el.name === 'message' && el.attrs.type === 'groupchat' && !!el.getChild('body'));
        expect(m.attrs.from).toBe(`${room}/bob`);
        // XEP-0421: the same occupant id as bob's presence carries.
        expect(m.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id).toBe(seen.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id);
        got.push(m.getChildText('body') ?? '');
      }
      expect(got).toEqual(['hello 1', 'hello 2', 'hello 3']);
    }

    // The subject: a participant may not set it by default; the owner (a moderator) may.
    sb.c.send(`<message to='${room}' type='groupchat'><subject>nope</subject></message>`);
    const forbidden = await sb.c.until((el) => el.name === 'message' && el.attrs.type === 'error');
    expect(forbidden.getChild('error')?.getChild('forbidden')).toBeTruthy();
    sa.c.send(`<message to='${room}' type='groupchat'><subject>Tea</subject></message>`);
    const subj = await sb.c.until((el) => el.name === 'message' && el.getChildText('subject') === 'Tea');
    expect(subj.attrs.from).toBe(`${room}/owner`);

    // A private message, from room/nick.
    sa.c.send(`<message to='${room}/bob' type='chat'><body>psst</body></message>`);
    const pm = await sb.c.until((el) => el.name === 'message' && el.getChildText('body') === 'psst');
    expect(pm.attrs.from).toBe(`${room}/owner`);
    expect(pm.getChild('x', USER)).toBeTruthy();

    // XEP-0410 self-ping: answered by the room while joined.
    expect(features).toContain('http://jabber.org/protocol/muc#self-ping-optimization');
    const ping = await iq(sb.c, 'get', `${room}/bob`, `<ping xmlns='urn:xmpp:ping'/>`);
    expect(ping.attrs.type).toBe('result');
    // A ping to another occupant is an iq like any other: it goes to that occupant, who answers.
    sb.c.send(`<iq type='get' id='pingowner' to='${room}/owner'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const forwarded = await sa.c.until((el) => el.name === 'iq' && el.attrs.from === `${room}/bob`);
    sa.c.send(`<iq type='result' id='${forwarded.attrs.id}' to='${room}/bob'/>`);
    expect((await sb.c.until((el) => el.name === 'iq' && el.attrs.id === 'pingowner')).attrs).toMatchObject({ type: 'result', from: `${room}/owner` });

    // A presence update goes to the others; a nick change is 303 from the old nick, then the new one.
    sb.c.send(`<presence to='${room}/bob'><show>away</show></presence>`);
    const away = await sa.c.until(presenceFrom(`${room}/bob`));
    expect(away.getChildText('show')).toBe('away');
    sb.c.send(`<presence to='${room}/robert'/>`);
    const renamed = await sa.c.until(presenceFrom(`${room}/bob`, 'unavailable'));
    expect(codes(renamed)).toEqual([303]);
    expect(renamed.getChild('x', USER)?.getChild('item')?.attrs.nick).toBe('robert');
    await sa.c.until(presenceFrom(`${room}/robert`));
    expect(codes(await sb.c.until(presenceFrom(`${room}/bob`, 'unavailable')))).toEqual([110, 303]);
    expect(codes(await sb.c.until(presenceFrom(`${room}/robert`)))).toEqual([110]);
    sb.c.send(`<presence to='${room}/bob'><show>dnd</show></presence>`);
    await sb.c.until(presenceFrom(`${room}/bob`));

    // A later joiner gets each occupant's kept presence.
    const d = await t.account('mucfourth');
    const sd = await t.login(edgeB, d.name, { presence: true });
    join(sd.c, `${room}/dave`);
    const bobSeen = await sd.c.until(presenceFrom(`${room}/bob`));
    expect(bobSeen.getChildText('show')).toBe('dnd');
    // Then the history (no <history/> asked: all that is kept), each with its delay, then the subject.
    const history: string[] = [];
    for (let n = 0; n < 3; n++) {
      const m = await sd.c.until((el) => el.name === 'message' && !!el.getChild('body'));
      expect(m.attrs.from).toBe(`${room}/bob`);
      expect(m.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe(room);
      history.push(m.getChildText('body') ?? '');
    }
    expect(history).toEqual(['hello 1', 'hello 2', 'hello 3']);
    const subjectOnJoin = await sd.c.until((el) => el.name === 'message');
    expect(subjectOnJoin.getChildText('subject')).toBe('Tea');
    sd.c.send(`<presence to='${room}/dave' type='unavailable'/>`);
    await sd.c.until(presenceFrom(`${room}/dave`, 'unavailable'));

    // Leaving: unavailable to the others, 110 to oneself.
    sb.c.send(`<presence to='${room}/bob' type='unavailable'/>`);
    expect(codes(await sb.c.until(presenceFrom(`${room}/bob`, 'unavailable')))).toEqual([110]);
    const gone = await sa.c.until(presenceFrom(`${room}/bob`, 'unavailable'));
    expect(gone.getChild('x', USER)?.getChild('item')?.attrs.role).toBe('none');

    // A session that ends leaves its rooms (the room was loaded from KV, not kept in memory).
    join(sc.c, `${room}/carol`);
    await sc.c.until(presenceFrom(`${room}/carol`));
    sc.c.close();
    await sa.c.until(presenceFrom(`${room}/carol`, 'unavailable'), 10_000);
  });

  it('keeps the wrong password out (not-authorized), non-members out of a members-only room (registration-required), and shows real JIDs in a non-anonymous room (100)', async () => {
    const [a, b] = [await t.account('mucpw'), await t.account('mucguest')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const secret = roomName();
    await createRoom(sa.c, secret, 'owner', { passwordprotectedroom: '1', roomsecret: 'sesame', whois: 'anyone', roomname: 'Secret', unknown_field: 'x' });
    const info = await iq(sb.c, 'get', secret, `<query xmlns='${INFO}'/>`);
    const q = info.getChild('query', INFO);
    expect(q?.getChild('identity')?.attrs.name).toBe('Secret');
    expect(q?.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining(['muc_passwordprotected', 'muc_nonanonymous']));
    join(sb.c, `${secret}/bob`, '<password>wrong</password>');
    const refused = await sb.c.until(presenceFrom(`${secret}/bob`, 'error'));
    expect(refused.getChild('error')?.getChild('not-authorized')).toBeTruthy();
    join(sb.c, `${secret}/bob`, '<password>sesame</password>');
    const self = await sb.c.until(presenceFrom(`${secret}/bob`));
    expect(codes(self)).toEqual([100, 110]);

    const form = await iq(sa.c, 'get', secret, `<query xmlns='${OWNER}'/>`);
    const vars = form
      .getChild('query', OWNER)
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field')
      .map((f) => f.attrs.var);
    expect(vars).toEqual(expect.arrayContaining(['muc#roomconfig_roomname', 'muc#roomconfig_membersonly', 'muc#roomconfig_maxusers']));
    const notOwner = await iq(sb.c, 'get', secret, `<query xmlns='${OWNER}'/>`);
    expect(notOwner.getChild('error')?.getChild('forbidden')).toBeTruthy();

    const members = roomName();
    await createRoom(sa.c, members, 'owner', { membersonly: '1' });
    join(sb.c, `${members}/bob`);
    const reg = await sb.c.until(presenceFrom(`${members}/bob`, 'error'));
    expect(reg.getChild('error')?.getChild('registration-required')).toBeTruthy();

    // A configuration change is told to the occupants (104, 172: now non-anonymous); a room made members-only loses its non-members (322).
    const open = roomName();
    await createRoom(sa.c, open, 'owner');
    join(sb.c, `${open}/bob`);
    await sb.c.until(presenceFrom(`${open}/bob`));
    const reconf = await iq(
      sa.c,
      'set',
      open,
      `<query xmlns='${OWNER}'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_whois'><value>anyone</value></field></x></query>`,
    );
    expect(reconf.attrs.type).toBe('result');
    const note = await sb.c.until((el) => el.name === 'message' && el.attrs.from === open && !!el.getChild('x', USER));
    expect(codes(note)).toEqual([104, 172]);
    await iq(
      sa.c,
      'set',
      open,
      `<query xmlns='${OWNER}'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_membersonly'><value>1</value></field></x></query>`,
    );
    expect(codes(await sb.c.until(presenceFrom(`${open}/bob`, 'unavailable')))).toEqual([110, 322]);

    // An owner destroys a room: occupants get their unavailable with <destroy/> and the alternate venue; the room is gone.
    join(sb.c, `${secret}/bob`, '<password>sesame</password>');
    await sb.c.until(presenceFrom(`${secret}/bob`));
    const destroyed = await iq(sa.c, 'set', secret, `<query xmlns='${OWNER}'><destroy jid='${members}'><reason>moved</reason></destroy></query>`);
    expect(destroyed.attrs.type).toBe('result');
    const gone = await sb.c.until(presenceFrom(`${secret}/bob`, 'unavailable'));
    expect(gone.getChild('x', USER)?.getChild('destroy')?.attrs.jid).toBe(members);
    expect(gone.getChild('x', USER)?.getChild('destroy')?.getChildText('reason')).toBe('moved');
    const after = await iq(sb.c, 'get', secret, `<query xmlns='${INFO}'/>`);
    expect(after.getChild('error')?.getChild('item-not-found')).toBeTruthy();

    // muc#admin: the owner makes bob a member, who may then enter; lists; kick (307); ban (301).
    const ADMIN = `${MUC}#admin`;
    const bare = sb.jid.split('/')[0];
    const grant = await iq(sa.c, 'set', members, `<query xmlns='${ADMIN}'><item affiliation='member' jid='${bare}'/></query>`);
    expect(grant.attrs.type).toBe('result');
    const list = await iq(sa.c, 'get', members, `<query xmlns='${ADMIN}'><item affiliation='member'/></query>`);
    expect(
      list
        .getChild('query', ADMIN)
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toEqual([bare]);
    const notAdmin = await iq(sb.c, 'get', members, `<query xmlns='${ADMIN}'><item affiliation='member'/></query>`);
    expect(notAdmin.getChild('error')?.getChild('forbidden')).toBeTruthy();
    join(sb.c, `${members}/bob`);
    expect(codes(await sb.c.until(presenceFrom(`${members}/bob`)))).toEqual([110]);
    await sa.c.until(presenceFrom(`${members}/bob`));
    // A member in the room may read the member list (muc#roomconfig_getmemberlist: every role by default; OMEMO needs it), not the outcasts.
    const asMember = await iq(sb.c, 'get', members, `<query xmlns='${ADMIN}'><item affiliation='member'/></query>`);
    expect(
      asMember
        .getChild('query', ADMIN)
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toEqual([bare]);
    const outcasts = await iq(sb.c, 'get', members, `<query xmlns='${ADMIN}'><item affiliation='outcast'/></query>`);
    expect(outcasts.getChild('error')?.getChild('forbidden')).toBeTruthy();
    // The occupants are told (XEP-0045 §8.2), then the moderator gets the result.
    sa.c.send(`<iq type='set' id='kick1' to='${members}'><query xmlns='${ADMIN}'><item role='none' nick='bob'/></query></iq>`);
    expect(codes(await sa.c.until(presenceFrom(`${members}/bob`, 'unavailable')))).toEqual([307]);
    expect((await sa.c.until((el) => el.attrs.id === 'kick1')).attrs.type).toBe('result');
    expect(codes(await sb.c.until(presenceFrom(`${members}/bob`, 'unavailable')))).toEqual([110, 307]);
    join(sb.c, `${members}/bob`);
    await sb.c.until(presenceFrom(`${members}/bob`));
    await iq(sa.c, 'set', members, `<query xmlns='${ADMIN}'><item affiliation='outcast' jid='${bare}'/></query>`);
    expect(codes(await sb.c.until(presenceFrom(`${members}/bob`, 'unavailable')))).toEqual([110, 301]);
    join(sb.c, `${members}/bob`);
    const banned = await sb.c.until(presenceFrom(`${members}/bob`, 'error'));
    expect(banned.getChild('error')?.getChild('forbidden')).toBeTruthy();

    // A mediated invitation (§7.8.2) to a members-only room makes the invitee a member; a decline goes back to the inviter.
    const c = await t.account('mucinvited');
    const sc = await t.login(edgeB, c.name, { presence: true });
    const ownerBare = sa.jid.split('/')[0];
    sa.c.send(`<message to='${members}'><x xmlns='${USER}'><invite to='${c.bare}'><reason>join us</reason></invite></x></message>`);
    const invitation = await sc.c.until((el) => el.name === 'message' && el.attrs.from === members);
    expect(invitation.getChild('x', USER)?.getChild('invite')?.attrs.from).toBe(ownerBare);
    expect(invitation.getChild('x', USER)?.getChild('invite')?.getChildText('reason')).toBe('join us');
    join(sc.c, `${members}/carol`);
    expect(codes(await sc.c.until(presenceFrom(`${members}/carol`)))).toEqual([110]);
    sc.c.send(`<message to='${members}'><x xmlns='${USER}'><decline to='${ownerBare}'><reason>busy</reason></decline></x></message>`);
    const declined = await sa.c.until((el) => el.name === 'message' && !!el.getChild('x', USER)?.getChild('decline'));
    expect(declined.getChild('x', USER)?.getChild('decline')?.attrs.from).toBe(c.bare);
  });

  it('an account removed leaves its rooms and loses its affiliations: the same name again owns nothing', async () => {
    const [a, b] = [await t.account('mucgone'), await t.account('mucstays')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'owner', { persistentroom: '1' });
    join(sb.c, `${room}/bob`);
    await sb.c.until(presenceFrom(`${room}/bob`));
    expect((await iq(sa.c, 'set', 'localhost', `<query xmlns='jabber:iq:register'><remove/></query>`)).attrs.type).toBe('result');
    await sb.c.until(presenceFrom(`${room}/owner`, 'unavailable'), 10_000);
    for (let i = 0; ; i++) {
      const ok = await register(edgeA, a.name, TEST_PASSWORD).then(
        () => true,
        (err: unknown) => (i < 40 ? false : Promise.reject(err)),
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const again = await t.login(edgeA, a.name, { presence: true });
    const form = await iq(again.c, 'get', room, `<query xmlns='${OWNER}'/>`);
    expect(form.getChild('error')?.getChild('forbidden')).toBeTruthy();
  });

  it('forwards an iq to an occupant to its real JID and brings the answer back from the occupant JID; strangers and forged answers get nowhere', async () => {
    const [a, b, c] = [await t.account('mucfwda'), await t.account('mucfwdb'), await t.account('mucfwdc')];
    const sa = await t.login(edgeA, a.name, { presence: true });
    const sb = await t.login(edgeB, b.name, { presence: true });
    const sc = await t.login(edgeB, c.name, { presence: true });
    const room = roomName();
    await createRoom(sa.c, room, 'alice');
    join(sb.c, `${room}/bob`);
    await sb.c.until((el) => el.name === 'message' && el.attrs.from === room && !!el.getChild('subject'));
    // Bob asks for Alice's vCard through the room (as Conversations fetches occupant avatars).
    sb.c.send(`<iq type='get' id='v1' to='${room}/alice'><vCard xmlns='vcard-temp'/></iq>`);
    const asked = await sa.c.until((el) => el.name === 'iq' && el.attrs.type === 'get');
    expect(asked.attrs.from).toBe(`${room}/bob`);
    expect(asked.attrs.id).not.toBe('v1');
    expect(asked.getChild('vCard', 'vcard-temp')).toBeTruthy();
    sa.c.send(`<iq type='result' id='${asked.attrs.id}' to='${room}/bob'><vCard xmlns='vcard-temp'><FN>Alice</FN></vCard></iq>`);
    const answer = await sb.c.until((el) => el.name === 'iq' && el.attrs.id === 'v1');
    expect(answer.attrs).toMatchObject({ type: 'result', from: `${room}/alice` });
    expect(answer.getChild('vCard', 'vcard-temp')?.getChildText('FN')).toBe('Alice');
    // Someone not in the room may not query its occupants.
    sc.c.send(`<iq type='get' id='v2' to='${room}/alice'><vCard xmlns='vcard-temp'/></iq>`);
    const refused = await sc.c.until((el) => el.name === 'iq' && el.attrs.id === 'v2');
    expect(refused.getChild('error')?.getChild('not-acceptable')).toBeTruthy();
    // And its self-ping says it is not in the room (XEP-0410).
    const notIn = await iq(sc.c, 'get', `${room}/alice`, `<ping xmlns='urn:xmpp:ping'/>`);
    expect(notIn.getChild('error')?.getChild('not-acceptable')).toBeTruthy();
    // An answer under an id the room did not make (or from someone it did not ask) goes nowhere.
    sa.c.send(`<iq type='result' id='${asked.attrs.id}x' to='${room}/bob'/>`);
    sb.c.send(`<iq type='result' id='${asked.attrs.id}' to='${room}/alice'/>`);
    await sb.c.quiet(400, (el) => el.name === 'iq');
    await sa.c.quiet(100, (el) => el.name === 'iq');
  });
});
