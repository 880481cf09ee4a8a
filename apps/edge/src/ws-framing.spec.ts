import { describe, expect, it } from 'vitest';
import { frameToStream, streamToFrames } from './ws-framing';

describe('RFC 7395 framing', () => {
  it('turns <open/> and <close/> into the stream header and end', () => {
    expect(frameToStream(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`)).toBe(
      `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`,
    );
    expect(frameToStream(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`)).toBe('</stream:stream>');
    expect(frameToStream(`<open xmlns='jabber:client'/>`)).toBeNull();
  });
  it('turns our header and features into <open/> plus a features frame with its prefix declared', () => {
    const frames = streamToFrames(
      `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0' xml:lang='en'><stream:features><bind/></stream:features>`,
    );
    expect(frames).toEqual([
      `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' id='abc' version='1.0' xml:lang='en'/>`,
      `<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind/></stream:features>`,
    ]);
    expect(streamToFrames('</stream:stream>')).toEqual([`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`]);
  });
  it('gives stanzas their jabber:client namespace, and leaves others alone', () => {
    expect(streamToFrames('<message to="a@b"><body>x</body></message>')).toEqual(['<message xmlns="jabber:client" to="a@b"><body>x</body></message>']);
    expect(streamToFrames('<presence/>')).toEqual(['<presence xmlns="jabber:client"/>']);
    expect(streamToFrames('<iq xmlns="jabber:client" type="result"/>')).toEqual(['<iq xmlns="jabber:client" type="result"/>']);
    expect(streamToFrames('<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>')).toEqual(['<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>']);
  });
});
