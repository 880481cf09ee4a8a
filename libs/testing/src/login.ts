// Complete c2s logins over a RawClient, asserting each server answer on the way.
import { randomBytes } from 'node:crypto';
import { digestMd5ClientResponse, ScramClient, type ScramHash } from '@cx/sasl';
import type { Element } from '@cx/xmpp-core';
import { RawClient } from './raw-client';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export type Mechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'DIGEST-MD5' | 'PLAIN';

export function uniqueName(prefix = 'u'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

function b64(el: Element): Buffer {
  return Buffer.from(el.getText(), 'base64');
}

function expectName(el: Element, name: string): Element {
  if (el.name !== name) throw new Error(`expected <${name}/>, got ${el.toString()}`);
  return el;
}

/** XEP-0077 registration on a fresh stream. */
export async function register(port: number, username: string, password: string): Promise<void> {
  const c = await RawClient.connect(port);
  await c.open();
  c.send(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${username}</username><password>${password}</password></query></iq>`);
  const r = await c.element();
  c.close();
  if (r.attrs.type !== 'result') throw new Error(`registration failed: ${r.toString()}`);
}

/** SASL on an open stream; returns the final element (<success/> or <failure/>). */
export async function authenticate(c: RawClient, username: string, password: string, mechanism: Mechanism): Promise<Element> {
  if (mechanism === 'PLAIN') {
    c.send(`<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`);
    return c.element();
  }
  if (mechanism === 'DIGEST-MD5') {
    c.send(`<auth xmlns='${SASL}' mechanism='DIGEST-MD5'/>`);
    const ch = expectName(await c.element(), 'challenge');
    c.send(`<response xmlns='${SASL}'>${digestMd5ClientResponse(b64(ch), { username, password, domain: 'localhost' }).toString('base64')}</response>`);
    const second = await c.element();
    if (second.name !== 'challenge') return second;
    if (!b64(second).toString().startsWith('rspauth=')) throw new Error(`expected rspauth, got ${b64(second)}`);
    c.send(`<response xmlns='${SASL}'/>`);
    return c.element();
  }
  const hash: ScramHash = mechanism === 'SCRAM-SHA-1' ? 'SHA-1' : 'SHA-256';
  const scram = new ScramClient(hash, username, password);
  c.send(`<auth xmlns='${SASL}' mechanism='${mechanism}'>${scram.clientFirst().toString('base64')}</auth>`);
  const ch = expectName(await c.element(), 'challenge');
  c.send(`<response xmlns='${SASL}'>${scram.clientFinal(b64(ch)).toString('base64')}</response>`);
  const last = await c.element();
  if (last.name === 'success' && !scram.verifyServerFinal(b64(last))) throw new Error('the server signature does not verify');
  return last;
}

export interface LoginOptions {
  mechanism?: Mechanism;
  resource?: string;
  /** Send initial presence (and wait for its echo). */
  presence?: boolean | string;
  /** The stream header to open both streams with (e.g. one that declares namespace prefixes). */
  header?: string;
}

/** The whole login: stream, SASL, restart, bind, session. Returns the client and its full JID. */
export async function login(port: number, username: string, password: string, opts: LoginOptions = {}): Promise<{ c: RawClient; jid: string }> {
  const c = await RawClient.connect(port);
  await c.open(undefined, opts.header);
  const done = await authenticate(c, username, password, opts.mechanism ?? 'SCRAM-SHA-1');
  if (done.name !== 'success') throw new Error(`authentication failed: ${done.toString()}`);
  await c.open(undefined, opts.header);
  const res = opts.resource ? `<resource>${opts.resource}</resource>` : '';
  c.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>${res}</bind></iq>`);
  const bound = await c.element();
  const jid = bound.getChild('bind')?.getChildText('jid');
  if (bound.attrs.type !== 'result' || !jid) throw new Error(`bind failed: ${bound.toString()}`);
  c.send(`<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
  expectName(await c.element(), 'iq');
  if (opts.presence) {
    c.send(typeof opts.presence === 'string' ? opts.presence : '<presence/>');
    await c.until((el) => el.name === 'presence' && el.attrs.from === jid);
  }
  return { c, jid };
}
