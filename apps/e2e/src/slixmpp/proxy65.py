#!/usr/bin/env python3
# Two slixmpp clients (Debian python3-slixmpp) send a file through the server's SOCKS5
# bytestreams proxy with slixmpp's own xep_0065 plugin, driven by proxy65.e2e.ts: the
# requester discovers proxy.<domain> (disco#items, identity proxy/bytestreams, its
# streamhost), offers it to the target (other edge), which connects and answers
# streamhost-used; the requester connects, activates, and the bytes go both ways.
# One JSON object per line on stdout:
#   {"event": "proxies", "proxies": {...}}
#   {"event": "received", "who": requester|target, "bytes": N, "sha1": H}
#   {"event": "error", "where": W, "condition": C}
# Usage: proxy65.py REQUESTER_JID TARGET_JID PASSWORD HOST PORT_REQUESTER PORT_TARGET CA_FILE
import asyncio
import hashlib
import sys

import slixmpp
from common import run_scenario, say

SIZE = 200_000



class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, who):
        super().__init__(jid, password)
        self.who = who
        self.register_plugin('xep_0030')
        self.register_plugin('xep_0065', {'auto_accept': True})
        self.started = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', lambda _e: self.started.set_result(True))
        self.add_event_handler('failed_all_auth', lambda _e: self.started.set_exception(RuntimeError('auth')))
        self.data = b''
        self.want = 0
        self.done = asyncio.get_event_loop().create_future()
        self.stream = asyncio.get_event_loop().create_future()
        self.add_event_handler('socks5_stream', lambda conn: None if self.stream.done() else self.stream.set_result(conn))
        self.add_event_handler('socks5_data', self.on_data)

    def on_data(self, data):
        self.data += data
        if self.want and len(self.data) >= self.want and not self.done.done():
            self.done.set_result(self.data)


async def scenario(requester, target):
    await asyncio.gather(requester.started, target.started)
    proxies = await requester['xep_0065'].discover_proxies()
    say(event='proxies', proxies={str(k): [v[0], int(v[1])] for k, v in proxies.items()})
    target.want = SIZE
    sock = await requester['xep_0065'].handshake(target.boundjid, timeout=10)
    if sock is None:
        say(event='error', where='handshake', condition='no-socket')
        sys.exit(3)
    conn = await asyncio.wait_for(target.stream, 10)
    payload = bytes(i % 251 for i in range(SIZE))
    await sock.write(payload)
    got = await asyncio.wait_for(target.done, 20)
    say(event='received', who='target', bytes=len(got), sha1=hashlib.sha1(got).hexdigest(), expected=hashlib.sha1(payload).hexdigest())
    requester.want = 5
    await conn.write(b'thank')
    back = await asyncio.wait_for(requester.done, 10)
    say(event='received', who='requester', bytes=len(back), text=back.decode())


def main():
    requester_jid, target_jid, password, host, port_a, port_b, ca = sys.argv[1:8]
    requester = Client(requester_jid, password, 'requester')
    target = Client(target_jid, password, 'target')
    run_scenario(((requester, port_a), (target, port_b)), host, ca, scenario(requester, target), 40)

if __name__ == '__main__':
    main()
