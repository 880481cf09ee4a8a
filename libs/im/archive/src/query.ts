// XEP-0313 §4 queries: the data form (with, start, end) and XEP-0059 result
// set management (max, after, before) read from <query/>; each result a
// <message><result><forwarded><delay/>…</forwarded></result></message>, then
// <fin/> with <first>/<last> and complete='true' when the page is the last
// one in the direction of paging.
import { isParseError, parseElement } from '@cx/xml-stream';
import { child, elements, StanzaError, text, tryParseJid, x, type Element } from '@cx/xmpp-core';
import type { ArchivedMessage, ArchivePage, ArchiveQuery } from './archive';
import { MAM_NS } from './ns';

/** Server cap on a page (RSM max), and the page a query without max gets. */
export const MAX_PAGE = 50;
export const DEFAULT_PAGE = 20;

export interface ParsedQuery extends ArchiveQuery {
  queryid?: string;
}

const FORM_FIELDS = new Set(['FORM_TYPE', 'with', 'start', 'end']);

/** The query's filters and page, or the error to answer (bad-request). */
export function parseQuery(query: Element): ParsedQuery | StanzaError {
  const q: ParsedQuery = { max: DEFAULT_PAGE };
  if (query.attrs.queryid !== undefined) q.queryid = String(query.attrs.queryid);
  const form = child(query, 'x', MAM_NS.DATA);
  for (const f of form ? elements(form).filter((e) => e.getName() === 'field') : []) {
    const name = String(f.attrs.var ?? '');
    const value = text(child(f, 'value')).trim();
    if (!FORM_FIELDS.has(name)) return new StanzaError('bad-request', `unsupported field ${name}`);
    if (name === 'FORM_TYPE' || value === '') continue;
    if (name === 'with') {
      const jid = tryParseJid(value);
      if (!jid) return new StanzaError('bad-request', 'with is not a JID');
      q.with = jid.toString();
    } else {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return new StanzaError('bad-request', `${name} is not a date-time`);
      q[name as 'start' | 'end'] = ms;
    }
  }
  const set = child(query, 'set', MAM_NS.RSM);
  if (set) {
    const max = child(set, 'max');
    if (max) {
      const n = Number(text(max).trim());
      if (!Number.isInteger(n) || n < 0) return new StanzaError('bad-request', 'max is not a non-negative integer');
      q.max = Math.min(n, MAX_PAGE);
    }
    const after = child(set, 'after');
    const before = child(set, 'before');
    if (after) q.after = text(after).trim();
    if (before) q.before = text(before).trim();
    if (q.after === '') return new StanzaError('bad-request', 'after needs an id');
    if (q.after !== undefined && q.before !== undefined) return new StanzaError('bad-request', 'after and before together');
  }
  return q;
}

/** One result, to the querying resource, from the archive owner. */
export function resultMessage(to: string, owner: string, queryid: string | undefined, m: ArchivedMessage): Element {
  const parsed = parseElement(m.xml, { maxBytes: m.xml.length * 4 + 16 });
  const inner = isParseError(parsed) ? undefined : parsed;
  if (inner) inner.attrs.xmlns = 'jabber:client';
  return x(
    'message',
    { to, from: owner },
    x(
      'result',
      { xmlns: MAM_NS.MAM, queryid, id: m.id },
      x('forwarded', { xmlns: MAM_NS.FORWARD }, x('delay', { xmlns: MAM_NS.DELAY, stamp: new Date(m.ts).toISOString() }), inner),
    ),
  );
}

/** <fin/>: what the iq result carries (§4.3). */
export function finElement(queryid: string | undefined, page: ArchivePage): Element {
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  return x(
    'fin',
    { xmlns: MAM_NS.MAM, queryid, complete: page.complete ? 'true' : undefined },
    x('set', { xmlns: MAM_NS.RSM }, first && x('first', {}, first.id), last && x('last', {}, last.id)),
  );
}

/** §4.1.2: the form a client may fill. */
export function queryForm(): Element {
  const field = (v: string, type: string, value?: string) => x('field', { var: v, type }, value !== undefined && x('value', {}, value));
  return x(
    'query',
    { xmlns: MAM_NS.MAM },
    x(
      'x',
      { xmlns: MAM_NS.DATA, type: 'form' },
      field('FORM_TYPE', 'hidden', MAM_NS.MAM),
      field('with', 'jid-single'),
      field('start', 'text-single'),
      field('end', 'text-single'),
    ),
  );
}
