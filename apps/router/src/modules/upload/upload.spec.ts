import { describe, expect, it } from 'vitest';
import { StanzaError, x } from '@cx/xmpp-core';
import { checkGrant, NS_UPLOAD } from '@cx/upload';
import { slotFor, uploadDomain, uploadInfo } from './index';

const config = {
  UPLOAD_PUBLIC_URL: 'https://upload.example.org',
  UPLOAD_SECRET: 's3cret',
  UPLOAD_SLOT_TTL_S: 300,
  UPLOAD_MAX_FILE_SIZE: 1000,
  UPLOAD_QUOTA_BYTES: 1500,
};
const request = (attrs: Record<string, string>) => x('request', { xmlns: NS_UPLOAD, ...attrs });

describe('upload module', () => {
  it('is on only when enabled and given a secret', () => {
    const base = { UPLOAD_DOMAIN: '', UPLOAD_SECRET: 'k', XMPP_DOMAIN: 'example.org', ROUTER_MODULES: ['upload'] };
    expect(uploadDomain(base)).toBe('upload.example.org');
    expect(uploadDomain({ ...base, UPLOAD_DOMAIN: 'files.example.org' })).toBe('files.example.org');
    expect(uploadDomain({ ...base, UPLOAD_SECRET: '' })).toBe('');
    expect(uploadDomain({ ...base, ROUTER_MODULES: ['muc'] })).toBe('');
  });

  it('advertises store/file, the feature and max-file-size (XEP-0363 §4)', () => {
    const info = uploadInfo(1000).toString();
    expect(info).toContain('<identity category="store" type="file"');
    expect(info).toContain(`<feature var="${NS_UPLOAD}"/>`);
    expect(info).toContain('<field var="max-file-size"><value>1000</value></field>');
  });

  it('gives a slot whose PUT URL is signed for the size and type asked', async () => {
    const out = await slotFor(request({ filename: 'a b.png', size: '10', 'content-type': 'image/png' }), 'alice@example.org', { config, usage: async () => 0 });
    if (out instanceof StanzaError || 'tooLarge' in out) throw new Error('no slot');
    const put = new URL(out.getChild('put')?.attrs.url ?? '');
    const get = out.getChild('get')?.attrs.url ?? '';
    expect(get).toBe(`https://upload.example.org${put.pathname}`);
    expect(out.getChild('put')?.getChildren('header')).toEqual([]);
    expect(checkGrant({ path: put.pathname, size: 10, type: 'image/png', query: put.searchParams }, 's3cret')).toMatchObject({
      ok: true,
      jid: 'alice@example.org',
    });
  });

  it('answers file-too-large, resource-constraint over the quota, bad-request without a size', async () => {
    expect(await slotFor(request({ filename: 'a', size: '1001' }), 'a@b', { config, usage: async () => 0 })).toEqual({ tooLarge: 1000 });
    const over = await slotFor(request({ filename: 'a', size: '600' }), 'a@b', { config, usage: async () => 1000 });
    expect(over).toMatchObject({ condition: 'resource-constraint' });
    expect(await slotFor(request({ filename: 'a' }), 'a@b', { config, usage: async () => 0 })).toMatchObject({ condition: 'bad-request' });
    expect(await slotFor(request({ filename: 'a', size: '1', 'content-type': 'bad type' }), 'a@b', { config, usage: async () => 0 })).toMatchObject({
      condition: 'bad-request',
    });
  });
});
