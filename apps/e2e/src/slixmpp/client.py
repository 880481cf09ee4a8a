#!/usr/bin/env python3
# A slixmpp client (Debian python3-slixmpp) driven by slixmpp.e2e.ts: it logs in over STARTTLS
# with slixmpp's default settings (only the test CA is added), fetches its roster, sends one
# message to PEER and waits for one back. It prints one JSON object per line on stdout:
#   {"event": "authenticated", "mechanism": ..., "tls": ...}
#   {"event": "ready", "jid": ..., "roster": [...]}   (roster fetched, message sent)
#   {"event": "message", "from": ..., "body": ...}
#   {"event": "failed", "condition": ...}              (each SASL failure slixmpp saw)
#   {"event": "disco", "identities": [...], "features": [...], "forms": [...], "ver": ...}
#                                                      (--disco: the domain's disco#info, xep_0030
#                                                       get_info, its xep_0128 forms and the
#                                                       xep_0115 ver slixmpp computes of it)
#   {"event": "done"}
# Usage: client.py JID PASSWORD HOST PORT CA_FILE PEER [--tls12] [--login-only] [--disco]
# --tls12: at most TLS 1.2 (where tls-unique is defined); --login-only: stop after "ready";
# --disco: ask the domain's disco#info after "ready", then stop.
import asyncio
import ssl
import sys

from common import Bot, say



class Client(Bot):
    def __init__(self, jid, password, peer):
        super().__init__(jid, password)
        self.peer = peer
        self.finished = False
        self.add_event_handler('auth_success', self.on_auth)
        self.add_event_handler('failed_auth', self.on_failed)
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('disconnected', lambda _e: self.finished or self.quit(4))
        if '--disco' in sys.argv:
            for p in ('xep_0030', 'xep_0004', 'xep_0128', 'xep_0115'):
                self.register_plugin(p)

    def on_auth(self, _stanza):
        mech = self['feature_mechanisms'].mech
        tls = self.socket.version() if isinstance(self.socket, (ssl.SSLSocket, ssl.SSLObject)) else None
        say(event='authenticated', mechanism=mech.name, tls=tls)

    def on_failed(self, stanza):
        say(event='failed', condition=stanza['condition'], text=stanza['text'])

    async def on_start(self, _event):
        await self.get_roster()
        self.send_presence()
        items = sorted(str(j) for j in self.client_roster.keys())
        self.send_message(mto=self.peer, mbody='hello from slixmpp', mtype='chat')
        say(event='ready', jid=str(self.boundjid), roster=items)
        if '--disco' in sys.argv:
            await self.disco()
        if '--login-only' in sys.argv or '--disco' in sys.argv:
            self.finish()

    async def disco(self):
        iq = await self['xep_0030'].get_info(jid=self.boundjid.domain)
        info = iq['disco_info']
        forms = [f.get_values() for f in info['substanzas'] if isinstance(f, self['xep_0004'].stanza.Form)]
        say(event='disco', identities=[list(i) for i in info['identities']], features=sorted(info['features']), forms=forms,
            ver=self['xep_0115'].generate_verstring(info, 'sha-1'))

    def finish(self):
        self.finished = True
        self.disconnect()
        say(event='done')
        asyncio.get_event_loop().call_later(0.2, lambda: sys.exit(0))

    def on_message(self, msg):
        if msg['type'] not in ('chat', 'normal'):
            return
        say(event='message', **{'from': str(msg['from']), 'body': msg['body']})
        self.finish()


def main():
    jid, password, host, port, ca, peer = sys.argv[1:7]
    c = Client(jid, password, peer)
    c.ca_certs = ca
    if '--tls12' in sys.argv:
        c.ssl_context.maximum_version = ssl.TLSVersion.TLSv1_2
    c.connect((host, int(port)))
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(30))
    say(event='timeout')
    sys.exit(5)


if __name__ == '__main__':
    main()
