#!/usr/bin/env python3
# A slixmpp client (Debian python3-slixmpp) uploading a file with its own
# xep_0363 plugin (upload_file: finds upload.<domain> through disco#items and
# disco#info, reads max-file-size, asks for a slot, PUTs with aiohttp), driven
# by slixmpp-upload.e2e.ts. One JSON object per line on stdout:
#   {"event": "uploaded", "url": GET_URL, "max": MAX_FILE_SIZE}
#   {"event": "too-big", "max": MAX_FILE_SIZE}        when asked for a file over the maximum
#   {"event": "error", "where": W, "condition": C}
# Usage: upload.py JID PASSWORD HOST PORT CA_FILE FILE CONTENT_TYPE [too-big]
import asyncio
import sys
from pathlib import Path

from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.plugins.xep_0363.http_upload import FileTooBig, HTTPError, UploadServiceNotFound
from common import Bot, run, say



class Client(Bot):
    def __init__(self, jid, password, path, content_type, too_big):
        super().__init__(jid, password)
        self.path, self.content_type, self.too_big = path, content_type, too_big
        for p in ('xep_0030', 'xep_0004', 'xep_0128', 'xep_0363'):
            self.register_plugin(p)
        self.add_event_handler('session_start', self.on_start)

    async def discover(self):
        # slixmpp 1.8.3's get_info_from_domain hands coroutines to asyncio.wait, which Python 3.11
        # refuses; it caches what it finds, so fill its cache the same way (domain, then its items),
        # with tasks, and the plugin's own discovery reads it.
        disco = self['xep_0030']
        domain = self.boundjid.domain
        items = await disco.get_items(domain)
        jids = [domain] + [item[0] for item in items['disco_items']['items']]
        disco.domain_infos[domain] = list(await asyncio.gather(*(disco.get_info(j) for j in jids)))

    async def on_start(self, _event):
        self.send_presence()
        up = self['xep_0363']
        try:
            await self.discover()
            if self.too_big:
                # The service's max-file-size, plus one: the plugin refuses it before asking, as it read the maximum.
                await up.upload_file(Path(self.path), content_type=self.content_type, domain=self.boundjid.domain)
                await up.upload_file(Path(self.path), size=int(up.max_file_size) + 1, content_type=self.content_type)
                say(event='error', where='too-big', condition='accepted')
            else:
                url = await up.upload_file(Path(self.path), content_type=self.content_type, domain=self.boundjid.domain)
                say(event='uploaded', url=url, max=up.max_file_size)
        except FileTooBig:
            say(event='too-big', max=up.max_file_size)
        except (IqError, IqTimeout) as e:
            say(event='error', where='slot', condition=e.iq['error']['condition'] if isinstance(e, IqError) else 'timeout')
            self.quit(4)
        except (HTTPError, UploadServiceNotFound) as e:
            say(event='error', where='http', condition=repr(e))
            self.quit(4)
        self.disconnect()
        await asyncio.sleep(0.2)
        sys.exit(0)


def main():
    jid, password, host, port, ca, path, content_type = sys.argv[1:8]
    too_big = len(sys.argv) > 8 and sys.argv[8] == 'too-big'
    c = Client(jid, password, path, content_type, too_big)
    run(c, host, port, ca)


if __name__ == '__main__':
    main()
