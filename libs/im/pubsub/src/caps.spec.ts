import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { capsOf, verifies } from './caps';

const el = (s: string) => parseElement(s) as Element;

describe('XEP-0115 verification', () => {
  it('§5.2 simple example', () => {
    const q = el(`<query xmlns='http://jabber.org/protocol/disco#info'>
      <identity category='client' name='Exodus 0.9.1' type='pc'/>
      <feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
      <feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query>`);
    expect(verifies(q, { hash: 'sha-1', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=' })).toBe(true);
    expect(verifies(q, { hash: 'sha-1', ver: 'QgayPKawpkPSDYmwT/WM94uAlu1=' })).toBe(false);
  });

  it('§5.3 complex example, with a data form', () => {
    const q = el(`<query xmlns='http://jabber.org/protocol/disco#info'>
      <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
      <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
      <feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
      <feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/>
      <x xmlns='jabber:x:data' type='result'>
        <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
        <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
        <field var='os'><value>Mac</value></field>
        <field var='os_version'><value>10.5.1</value></field>
        <field var='software'><value>Psi</value></field>
        <field var='software_version'><value>0.11</value></field>
      </x></query>`);
    expect(verifies(q, { hash: 'sha-1', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w=' })).toBe(true);
  });

  it('reads <c/> from a presence; legacy caps without hash are not used', () => {
    expect(capsOf(el(`<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>`))).toEqual({
      node: 'n',
      ver: 'v',
      hash: 'sha-1',
    });
    expect(capsOf(el(`<presence><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v'/></presence>`))).toBeUndefined();
  });
});
