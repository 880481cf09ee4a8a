#!/usr/bin/env python3
# A slixmpp client (Debian python3-slixmpp) paging its message archive with slixmpp's own XEP-0313
# plugin (xep_0313.iterate, which pages with XEP-0059 through xep_0059): forwards, backwards
# (reverse=True: `<before/>` then `<before>first</before>`), and filtered by a peer. Driven by
# mam.e2e.ts. One JSON object per line on stdout:
#   {"event": "forward", "bodies": [...], "ids": [...]}   oldest first
#   {"event": "backward", "bodies": [...], "ids": [...]}  newest first, as slixmpp yields them
#   {"event": "with", "bodies": [...]}                    forwards, only messages with PEER
#   {"event": "done"}
# Usage: mam.py JID PASSWORD HOST PORT CA_FILE PEER PAGE
import asyncio
import sys

import slixmpp
from common import Bot, run, say



class Client(Bot):
    def __init__(self, jid, password, peer, page):
        super().__init__(jid, password)
        self.peer = peer
        self.page = page
        self.register_plugin('xep_0059')
        self.register_plugin('xep_0313')
        self.add_event_handler('session_start', self.on_start)

    async def collect(self, **kw):
        bodies, ids = [], []
        async for msg in self.plugin['xep_0313'].iterate(rsm={'max': self.page}, **kw):
            bodies.append(msg['mam_result']['forwarded']['stanza']['body'])
            ids.append(msg['mam_result']['id'])
        return bodies, ids

    async def on_start(self, _event):
        try:
            bodies, ids = await self.collect()
            say(event='forward', bodies=bodies, ids=ids)
            bodies, ids = await self.collect(reverse=True)
            say(event='backward', bodies=bodies, ids=ids)
            bodies, _ = await self.collect(with_jid=slixmpp.JID(self.peer))
            say(event='with', bodies=bodies)
        except Exception as err:  # report, so the test shows why
            say(event='error', error=repr(err))
        say(event='done')
        self.disconnect()
        asyncio.get_event_loop().call_later(0.2, lambda: sys.exit(0))


def main():
    jid, password, host, port, ca, peer, page = sys.argv[1:8]
    c = Client(jid, password, peer, int(page))
    run(c, host, port, ca)


if __name__ == '__main__':
    main()
