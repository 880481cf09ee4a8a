#!/usr/bin/env python3
# A slixmpp client (Debian python3-slixmpp) with its stream management plugin (XEP-0198,
# which asks for an acknowledgement every 5 stanzas), driven by route-durability.e2e.ts:
# it logs in, enables stream management, sends COUNT chat messages with ids sm-0..sm-N to
# PEER, and reports every stanza the server acknowledged. It prints one JSON object per line:
#   {"event": "enabled"}                  (stream management on)
#   {"event": "sent", "count": N}
#   {"event": "acked", "id": ...}         (each message the server's <a h/> covered)
# and exits after WAIT seconds.
# Usage: sm_acks.py JID PASSWORD HOST PORT PEER COUNT WAIT
import asyncio
import sys

import slixmpp
from common import say



class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer, count):
        super().__init__(jid, password)
        self.peer = peer
        self.count = count
        self.register_plugin('xep_0198')
        self.add_event_handler('sm_enabled', self.on_enabled)
        self.add_event_handler('stanza_acked', self.on_acked)

    def on_enabled(self, _stanza):
        say(event='enabled')
        for n in range(self.count):
            msg = self.make_message(mto=self.peer, mbody=f'sm-{n}', mtype='chat')
            msg['id'] = f'sm-{n}'
            msg.send()
        say(event='sent', count=self.count)

    def on_acked(self, stanza):
        if stanza.name == 'message':
            say(event='acked', id=stanza['id'])


def main():
    jid, password, host, port, peer, count, wait = sys.argv[1:8]
    c = Client(jid, password, peer, int(count))
    c.connect((host, int(port)))
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(float(wait)))
    sys.exit(0)


if __name__ == '__main__':
    main()
