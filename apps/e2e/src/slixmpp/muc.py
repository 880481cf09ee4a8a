#!/usr/bin/env python3
# Two slixmpp clients (Debian python3-slixmpp) use group chat through slixmpp's own xep_0045
# plugin, driven by slixmpp-muc.e2e.ts: the owner creates a room (join_muc_wait, then the
# configuration form it got, submitted with a name), the guest (other edge) joins, both talk;
# then the guest reads the room's archive with slixmpp's xep_0313 (retrieve: one page;
# iterate: paged one message at a time through xep_0059); then the owner moderates the
# guest's message with slixmpp's xep_0425 (the 0.2 <apply-to/> form it speaks), the guest
# gets the notice, and the archive has a tombstone in its place;
# the owner takes the guest's voice and gives it back, listing roles.
# One JSON object per line on stdout:
#   {"event": "created", "status": [...], "fields": [...]}
#   {"event": "joined", "occupants": [...], "subject": S}
#   {"event": "got", "who": owner|guest, "from": F, "body": B}
#   {"event": "mam", "bodies": [...]}  {"event": "mam_paged", "bodies": [...]}
#   {"event": "moderated", "id": I, "expected": I}  {"event": "mam_after", "bodies": [...]}
#   {"event": "roles", "visitors": [...], "seen": R, "participants": [...], "moderators": [...]}
#   {"event": "error", "where": W, "condition": C}
# Usage: muc.py OWNER_JID GUEST_JID PASSWORD HOST PORT_OWNER PORT_GUEST CA_FILE ROOM
import asyncio
import sys

import slixmpp
from common import run_scenario, say



class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, who):
        super().__init__(jid, password)
        self.who = who
        for p in ('xep_0004', 'xep_0030', 'xep_0045', 'xep_0059', 'xep_0313', 'xep_0421', 'xep_0424', 'xep_0425'):
            self.register_plugin(p)
        self.started = asyncio.get_event_loop().create_future()
        self.bodies = []
        self.add_event_handler('session_start', lambda _e: self.started.set_result(True))
        self.add_event_handler('failed_all_auth', lambda _e: self.started.set_exception(RuntimeError('auth')))
        self.add_event_handler('groupchat_message', self.on_groupchat)
        self.moderated = asyncio.get_event_loop().create_future()
        self.add_event_handler('moderated_message', lambda m: None if self.moderated.done() else self.moderated.set_result(m))

    def on_groupchat(self, msg):
        if msg['body']:
            self.bodies.append(msg['body'])
            say(event='got', who=self.who, **{'from': str(msg['from'])}, body=msg['body'])


async def scenario(owner, guest, room):
    await asyncio.gather(owner.started, guest.started)
    owner.send_presence()
    guest.send_presence()
    pres, _subject, _occ, _hist = await owner['xep_0045'].join_muc_wait(room, 'owner', maxstanzas=0, timeout=10)
    status = sorted(int(s) for s in pres['muc']['status_codes'])
    form = await owner['xep_0045'].get_room_config(room)
    fields = sorted(form.get_fields().keys())
    form['type'] = 'submit'
    reply = owner['xep_0004'].make_form(ftype='submit')
    reply.add_field(var='FORM_TYPE', ftype='hidden', value='http://jabber.org/protocol/muc#roomconfig')
    reply.add_field(var='muc#roomconfig_roomname', value='Slix room')
    await owner['xep_0045'].set_room_config(room, reply)
    say(event='created', status=status, fields=fields)
    _pres, subject, occupants, _hist = await guest['xep_0045'].join_muc_wait(room, 'guest', maxstanzas=0, timeout=10)
    say(event='joined', occupants=sorted(str(o['from']) for o in occupants), subject=subject['subject'])
    info = await guest['xep_0030'].get_info(jid=room)
    say(event='info', features=sorted(info['disco_info']['features']), name=[i[3] for i in info['disco_info']['identities']])
    guest.send_message(mto=room, mbody='hello from slixmpp', mtype='groupchat')
    owner.send_message(mto=room, mbody='welcome', mtype='groupchat')
    for _ in range(50):
        if len(owner.bodies) >= 2 and len(guest.bodies) >= 2:
            break
        await asyncio.sleep(0.1)
    def body(m):
        return m['mam_result']['forwarded']['stanza']['body']

    page = await guest['xep_0313'].retrieve(jid=slixmpp.JID(room), rsm={'max': 10}, timeout=10)
    say(event='mam', bodies=[body(m) for m in page['mam']['results']])
    paged = [body(m) async for m in guest['xep_0313'].iterate(jid=slixmpp.JID(room), rsm={'max': 1})]
    say(event='mam_paged', bodies=paged)
    ids = {body(m): m['mam_result']['id'] for m in page['mam']['results']}
    await owner['xep_0425'].moderate(slixmpp.JID(room), ids.get('hello from slixmpp', ''), 'test', timeout=10)
    note = await asyncio.wait_for(guest.moderated, 10)
    say(event='moderated', id=note['apply_to']['id'], expected=ids.get('hello from slixmpp'))
    after = await guest['xep_0313'].retrieve(jid=slixmpp.JID(room), rsm={'max': 10}, timeout=10)
    say(event='mam_after', bodies=[body(m) for m in after['mam']['results']])
    # Roles through slixmpp's set_role / get_roles_list (XEP-0045 §8.4, §8.3, §8.5).
    muc = owner['xep_0045']
    await muc.set_role(room, 'guest', 'visitor')
    visitors = await muc.get_roles_list(room, 'visitor')
    await asyncio.sleep(0.3)
    seen = muc.get_jid_property(room, 'guest', 'role')
    await muc.set_role(room, 'guest', 'participant')
    participants = await muc.get_roles_list(room, 'participant')
    moderators = await muc.get_roles_list(room, 'moderator')
    say(event='roles', visitors=sorted(visitors), seen=seen, participants=sorted(participants), moderators=sorted(moderators))
    guest['xep_0045'].leave_muc(room, 'guest')
    owner['xep_0045'].leave_muc(room, 'owner')
    await asyncio.sleep(0.3)


def main():
    owner_jid, guest_jid, password, host, port_a, port_b, ca, room = sys.argv[1:9]
    owner = Client(owner_jid, password, 'owner')
    guest = Client(guest_jid, password, 'guest')
    run_scenario(((owner, port_a), (guest, port_b)), host, ca, scenario(owner, guest, room), 30)

if __name__ == '__main__':
    main()
