# What the slixmpp scripts share: one JSON event per line on stdout (read by
# run.ts), and running a client until it exits by itself or times out.
import asyncio
import json
import sys


def say(**kw):
    print(json.dumps(kw), flush=True)


def run(client, host, port, ca, seconds=30):
    """Connect with the test CA and wait; a script that has not exited by then says 'timeout' and exits 5."""
    client.ca_certs = ca
    client.connect((host, int(port)))
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(seconds))
    say(event='timeout')
    sys.exit(5)
