#!/usr/bin/env python3
# A slixmpp client (Debian python3-slixmpp) using PEP as OMEMO clients do, through slixmpp's own
# xep_0060 / xep_0163 plugins (no OMEMO crypto: the items are published as Conversations writes
# them), driven by slixmpp-pep.e2e.ts. One JSON object per line on stdout:
#   publish: {"event": "published", "ids": {NODE: ITEM_ID}}      device lists and bundles, access_model=open
#   fetch:   {"event": "fetched", "devices": [...], "legacy": [...], "bundle": SPK, "features": [...]}
#   any:     {"event": "error", "where": W, "condition": C}
# Usage: pep.py JID PASSWORD HOST PORT CA_FILE publish|fetch [OWNER_JID] [DEVICE_ID]
import asyncio
import sys
import xml.etree.ElementTree as ET

from slixmpp.exceptions import IqError, IqTimeout
from common import Bot, run, say

OMEMO2 = 'urn:xmpp:omemo:2'
DEVICES = 'urn:xmpp:omemo:2:devices'
BUNDLES = 'urn:xmpp:omemo:2:bundles'
LEGACY = 'eu.siacs.conversations.axolotl'
LEGACY_LIST = LEGACY + '.devicelist'



class Client(Bot):
    def __init__(self, jid, password, mode, owner, device):
        super().__init__(jid, password)
        self.mode, self.owner, self.device = mode, owner, device
        for p in ('xep_0004', 'xep_0030', 'xep_0060', 'xep_0115', 'xep_0163'):
            self.register_plugin(p)
        self.add_event_handler('session_start', self.on_start)

    def options(self, **fields):
        form = self['xep_0004'].make_form(ftype='submit')
        form.add_field(var='FORM_TYPE', ftype='hidden', value='http://jabber.org/protocol/pubsub#publish-options')
        for k, v in fields.items():
            form.add_field(var='pubsub#' + k, value=v)
        return form

    async def publish(self, node, item_id, payload, **opts):
        r = await self['xep_0060'].publish(self.boundjid.bare, node, id=item_id, payload=ET.fromstring(payload), options=self.options(**opts))
        return r['pubsub']['publish']['item']['id']

    async def on_start(self, _event):
        self.send_presence()
        await self.get_roster()
        try:
            await (self.do_publish() if self.mode == 'publish' else self.do_fetch())
        except (IqError, IqTimeout) as e:
            cond = e.iq['error']['condition'] if isinstance(e, IqError) else 'timeout'
            say(event='error', where=self.mode, condition=cond)
            self.quit(4)
        self.disconnect()
        await asyncio.sleep(0.2)
        sys.exit(0)

    async def do_publish(self):
        dev = self.device
        ids = {}
        ids[DEVICES] = await self.publish(DEVICES, 'current', f"<devices xmlns='{OMEMO2}'><device id='{dev}' label='slixmpp'/></devices>", access_model='open', max_items='max')
        bundle = f"<bundle xmlns='{OMEMO2}'><spk id='1'>spk{dev}</spk><spks>sig</spks><ik>ik{dev}</ik><prekeys><pk id='1'>pk1</pk></prekeys></bundle>"
        ids[BUNDLES] = await self.publish(BUNDLES, dev, bundle, access_model='open', max_items='max')
        ids[LEGACY_LIST] = await self.publish(LEGACY_LIST, 'current', f"<list xmlns='{LEGACY}'><device id='{dev}'/></list>", access_model='open')
        legacy_bundle = f"<bundle xmlns='{LEGACY}'><signedPreKeyPublic signedPreKeyId='1'>spk</signedPreKeyPublic><identityKey>ik</identityKey></bundle>"
        node = f'{LEGACY}.bundles:{dev}'
        ids[node] = await self.publish(node, 'current', legacy_bundle, access_model='open')
        # Publishing again with other options must fail with precondition-not-met (XEP-0223).
        try:
            await self.publish(DEVICES, 'current', f"<devices xmlns='{OMEMO2}'/>", access_model='presence')
            say(event='error', where='precondition', condition='accepted')
        except IqError as e:
            app = [c.tag for c in e.iq['error'].xml]
            say(event='precondition', condition=e.iq['error']['condition'], app=app)
        say(event='published', ids=ids)

    async def do_fetch(self):
        info = await self['xep_0030'].get_info(jid=self.owner)
        identities = [f'{i[0]}/{i[1]}' for i in info['disco_info']['identities']]
        features = sorted(info['disco_info']['features'])
        devices = await self['xep_0060'].get_items(self.owner, DEVICES)
        dev_ids = [d.get('id') for item in devices['pubsub']['items'] for d in item['payload'].iter(f'{{{OMEMO2}}}device')]
        legacy = await self['xep_0060'].get_items(self.owner, LEGACY_LIST)
        legacy_ids = [d.get('id') for item in legacy['pubsub']['items'] for d in item['payload'].iter(f'{{{LEGACY}}}device')]
        bundle = await self['xep_0060'].get_item(self.owner, BUNDLES, dev_ids[0])
        spk = [e.text for item in bundle['pubsub']['items'] for e in item['payload'].iter(f'{{{OMEMO2}}}spk')]
        lb = await self['xep_0060'].get_items(self.owner, f'{LEGACY}.bundles:{legacy_ids[0]}', max_items=1)
        lik = [e.text for item in lb['pubsub']['items'] for e in item['payload'].iter(f'{{{LEGACY}}}identityKey')]
        say(event='fetched', identities=identities, features=features, devices=dev_ids, legacy=legacy_ids, bundle=spk[0] if spk else None, legacy_ik=lik)


def main():
    jid, password, host, port, ca, mode = sys.argv[1:7]
    owner = sys.argv[7] if len(sys.argv) > 7 else ''
    device = sys.argv[8] if len(sys.argv) > 8 else '4223'
    c = Client(jid, password, mode, owner, device)
    run(c, host, port, ca)


if __name__ == '__main__':
    main()
