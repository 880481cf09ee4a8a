import { describe, expect, it } from 'vitest';
import { capsString, capsVer } from './caps';

describe('XEP-0115 verification string', () => {
  it('matches the simple example of XEP-0115 §5.2', () => {
    const ver = capsVer({
      identities: [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      features: [
        'http://jabber.org/protocol/caps',
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/disco#items',
        'http://jabber.org/protocol/muc',
      ],
    });
    expect(ver).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });
  it('matches the complex example of XEP-0115 §5.3: extended forms by FORM_TYPE, fields by var, values sorted', () => {
    const info = {
      identities: [
        { category: 'client', type: 'pc', lang: 'en', name: 'Psi 0.11' },
        { category: 'client', type: 'pc', lang: 'el', name: 'Ψ 0.11' },
      ],
      features: [
        'http://jabber.org/protocol/caps',
        'http://jabber.org/protocol/disco#info',
        'http://jabber.org/protocol/disco#items',
        'http://jabber.org/protocol/muc',
      ],
      forms: [
        {
          formType: 'urn:xmpp:dataforms:softwareinfo',
          fields: [
            { var: 'software', values: ['Psi'] },
            { var: 'software_version', values: ['0.11'] },
            { var: 'os', values: ['Mac'] },
            { var: 'os_version', values: ['10.5.1'] },
            { var: 'ip_version', type: 'text-multi', values: ['ipv6', 'ipv4'] },
          ],
        },
      ],
    };
    expect(capsString(info)).toBe(
      'client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<' +
        'http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<' +
        'ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<',
    );
    expect(capsVer(info)).toBe('q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });
});
