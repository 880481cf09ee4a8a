#!/usr/bin/env python3
# A slixmpp client (Debian python3-slixmpp) that uses, with slixmpp's own plugins, what
# issue 9 fixed on the server, driven by slixmpp-account.e2e.ts. Subscriptions are handled by
# hand (auto_authorize None). One JSON object per line on stdout:
#   {"event": "ready"}                                  logged in, presence sent
#   {"event": "subscribe", "from": J, "in_roster": B}   a request arrived; B: J is in the server's roster
#   {"event": "approved", "roster": {J: subscription}}  after answering it with subscribed
#   {"event": "disco", "node": N, "features": [...]}    disco#info of the domain on the caps node (XEP-0030/0115)
#   {"event": "bounce", "condition": C}                 presence to an unreachable domain came back as an error
#   {"event": "blocked", "list": [...]}                 XEP-0191 block of the peer done
#   {"event": "removed"}                                XEP-0077 cancellation answered
# Usage: account.py JID PASSWORD HOST PORT CA_FILE PEER CAPS_NODE
import asyncio
import sys

from slixmpp.exceptions import IqError
from common import Bot, run, say



class Client(Bot):
    def __init__(self, jid, password, peer, node):
        super().__init__(jid, password)
        self.peer = peer
        self.node = node
        self.auto_authorize = None
        self.auto_subscribe = False
        for p in ('xep_0030', 'xep_0077', 'xep_0191'):
            self.register_plugin(p)
        self.bounced = asyncio.Future()
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('presence_subscribe', self.on_subscribe)
        self.add_event_handler('presence_error', self.on_presence_error)

    async def server_roster(self):
        iq = self.Iq()
        iq['type'] = 'get'
        iq.enable('roster')
        resp = await iq.send()
        return {str(j): item['subscription'] for j, item in resp['roster']['items'].items()}

    async def on_start(self, _event):
        await self.get_roster()
        self.send_presence()
        say(event='ready')

    async def on_subscribe(self, pres):
        peer = str(pres['from'].bare)
        roster = await self.server_roster()
        say(event='subscribe', **{'from': peer, 'in_roster': peer in roster})
        self.send_presence(pto=peer, ptype='subscribed')
        await asyncio.sleep(0.5)
        say(event='approved', roster=await self.server_roster())
        await self.rest()

    def on_presence_error(self, pres):
        if not self.bounced.done():
            self.bounced.set_result(pres['error']['condition'])

    async def rest(self):
        info = await self['xep_0030'].get_info(jid=self.boundjid.domain, node=self.node)
        say(event='disco', node=info['disco_info']['node'], features=sorted(info['disco_info']['features']))
        self.send_presence(pto='room@conference.example.org/slix')
        say(event='bounce', condition=await asyncio.wait_for(self.bounced, 5))
        await self['xep_0191'].block([self.peer])
        blocked = await self['xep_0191'].get_blocked()
        say(event='blocked', list=sorted(str(j) for j in blocked['blocklist']['items']))
        await asyncio.sleep(1)
        self.send_presence(pstatus='after-block')
        await asyncio.sleep(1)
        try:
            await self['xep_0077'].cancel_registration()
            say(event='removed')
        except IqError as e:
            say(event='remove-failed', condition=e.iq['error']['condition'])
        self.disconnect()
        await asyncio.sleep(0.2)
        sys.exit(0)


def main():
    jid, password, host, port, ca, peer, node = sys.argv[1:8]
    c = Client(jid, password, peer, node)
    run(c, host, port, ca, 40)


if __name__ == '__main__':
    main()
