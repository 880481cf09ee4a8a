# What the slixmpp scripts share: one JSON event per line on stdout (read by
# run.ts), a client that says how it exits, running one until it exits by
# itself or times out, and running a scenario of two clients.
import asyncio
import json
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout, PresenceError


def say(**kw):
    print(json.dumps(kw), flush=True)


def run(client, host, port, ca, seconds=30):
    """Connect with the test CA and wait; a script that has not exited by then says 'timeout' and exits 5."""
    client.ca_certs = ca
    client.connect((host, int(port)))
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(seconds))
    say(event='timeout')
    sys.exit(5)


class Bot(slixmpp.ClientXMPP):
    """A client that exits 3 when it cannot log in, and says every exit."""

    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.add_event_handler('failed_all_auth', lambda _e: self.quit(3))

    def quit(self, code):
        say(event='exit', code=code)
        sys.exit(code)


def run_scenario(clients, host, ca, scenario, seconds):
    """Connect each (client, port), run the scenario coroutine; an error stanza exits 4, a timeout 5, success 0."""
    for c, port in clients:
        c.ca_certs = ca
        c.connect((host, int(port)))
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(scenario, seconds))
    except (IqError, PresenceError) as e:
        stanza = e.iq if isinstance(e, IqError) else e.presence
        say(event='error', where=type(e).__name__, condition=stanza['error']['condition'])
        sys.exit(4)
    except (IqTimeout, asyncio.TimeoutError):
        say(event='timeout')
        sys.exit(5)
    for c, _port in clients:
        c.disconnect()
    loop.run_until_complete(asyncio.sleep(0.2))
    say(event='exit', code=0)
    sys.exit(0)
