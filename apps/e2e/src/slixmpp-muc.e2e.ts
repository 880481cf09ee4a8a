// slixmpp (Debian python3-slixmpp), a client nobody here wrote, uses group chat (XEP-0045)
// through its own xep_0045 plugin: an owner on one edge creates a room and configures it, a
// guest on the other edge joins (slixmpp waits for the occupants, its own presence and the
// subject), both talk, and the guest reads the room's archive (XEP-0313 on the room) with
// slixmpp's xep_0313, in one page and paged one by one; the owner moderates the guest's
// message with slixmpp's xep_0425 (XEP-0425's 0.2 form), the guest is told, and the archive
// keeps a tombstone in its place; the owner takes the guest's voice and gives it back.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { register, uniqueName } from '@cx/testing';
import { runSlixmpp, type SlixmppEvent } from './slixmpp/run';

const [edgeA, edgeB] = inject('edgePorts');
const certFile = inject('certFile');
const run = (args: string[], onEvent?: (e: SlixmppEvent) => void) => runSlixmpp('muc.py', args, onEvent);

describe('slixmpp: group chat (xep_0045)', () => {
  it('an owner creates and configures a room, a guest on the other edge joins, both talk', async () => {
    const [owner, guest] = [uniqueName('slixmucown'), uniqueName('slixmucguest')];
    await register(edgeA, owner, 'muc-pw');
    await register(edgeA, guest, 'muc-pw');
    const room = `slix-${randomUUID().slice(0, 8)}@conference.localhost`;
    const r = await run([`${owner}@localhost`, `${guest}@localhost`, 'muc-pw', '127.0.0.1', String(edgeA), String(edgeB), certFile, room]);
    const detail = r.stderr.slice(-2000) + JSON.stringify(r.events);
    expect(r.code, detail).toBe(0);
    const created = r.events.find((e) => e.event === 'created');
    expect(created?.status, detail).toEqual([110, 201]);
    expect(created?.fields).toEqual(expect.arrayContaining(['muc#roomconfig_roomname', 'muc#roomconfig_persistentroom']));
    const joined = r.events.find((e) => e.event === 'joined');
    // slixmpp counts its own presence among the occupants it saw come online.
    expect(joined?.occupants).toEqual([`${room}/guest`, `${room}/owner`]);
    const info = r.events.find((e) => e.event === 'info');
    expect(info?.features).toEqual(expect.arrayContaining(['http://jabber.org/protocol/muc', 'muc_open']));
    expect(info?.name).toEqual(['Slix room']);
    const got = r.events.filter((e) => e.event === 'got').map((e) => `${e.who as string}<${(e.from as string).split('/')[1]}:${e.body as string}`);
    expect(got.sort()).toEqual(['guest<guest:hello from slixmpp', 'guest<owner:welcome', 'owner<guest:hello from slixmpp', 'owner<owner:welcome']);
    expect(info?.features).toEqual(expect.arrayContaining(['urn:xmpp:mam:2', 'urn:xmpp:sid:0']));
    const mam = r.events.find((e) => e.event === 'mam')?.bodies as string[] | undefined;
    expect([...(mam ?? [])].sort(), detail).toEqual(['hello from slixmpp', 'welcome']);
    expect(r.events.find((e) => e.event === 'mam_paged')?.bodies, detail).toEqual(mam);
    const moderated = r.events.find((e) => e.event === 'moderated');
    expect(moderated?.id, detail).toBeTruthy();
    expect(moderated?.id).toBe(moderated?.expected);
    // The tombstone (no body), the owner's message, and the moderation notice (archived, no body).
    const after = r.events.find((e) => e.event === 'mam_after')?.bodies as string[] | undefined;
    expect(after?.filter(Boolean), detail).toEqual(['welcome']);
    expect(after).toHaveLength(3);
    const roles = r.events.find((e) => e.event === 'roles');
    expect(roles, detail).toMatchObject({ visitors: ['guest'], seen: 'visitor', participants: ['guest'], moderators: ['owner'] });
  });
});
