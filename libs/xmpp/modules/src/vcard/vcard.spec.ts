import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { vcardProblem } from './vcard';

const v = (s: string) => parseElement(s) as Element;

describe('vcardProblem (XEP-0054)', () => {
  it('accepts a vCard with the usual fields, and extensions in other namespaces', () => {
    expect(
      vcardProblem(
        v(
          `<vCard xmlns='vcard-temp'><FN>A</FN><N><FAMILY>B</FAMILY></N><PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0K\nGgo=</BINVAL></PHOTO><x xmlns='urn:example'/></vCard>`,
        ),
      ),
    ).toBeUndefined();
  });
  it('refuses the wrong root, loose text, unknown lower-case elements and bad base64', () => {
    expect(vcardProblem(v(`<vcard xmlns='vcard-temp'/>`))).toMatch(/vCard/);
    expect(vcardProblem(v(`<vCard xmlns='urn:other'/>`))).toMatch(/vCard/);
    expect(vcardProblem(v(`<vCard xmlns='vcard-temp'>hello</vCard>`))).toMatch(/text/);
    expect(vcardProblem(v(`<vCard xmlns='vcard-temp'><fn>x</fn></vCard>`))).toMatch(/not a vCard element/);
    expect(vcardProblem(v(`<vCard xmlns='vcard-temp'><PHOTO><BINVAL>**</BINVAL></PHOTO></vCard>`))).toMatch(/base64/);
  });
});
