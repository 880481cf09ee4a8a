import { describe, expect, it } from 'vitest';
import { configForm, fieldValue, formFields } from './config';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { configure, publish, PubsubError, retract, selectItems } from './node';
import type { StoredNode } from './store';

const opts = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [`pubsub#${k}`, [v]]));
const pub = (cur: StoredNode | null, id: string | undefined, options: Record<string, string> = {}) =>
  publish(cur, { id, payload: `<p>${id}</p>`, options: opts(options), now: 1 }, 256);

describe('publish', () => {
  it('auto-creates with the publish-options as configuration', () => {
    const r = pub(null, 'a', { access_model: 'open', max_items: 'max' });
    expect(r.next?.config.accessModel).toBe('open');
    expect(r.next?.config.maxItems).toBe('max');
    expect(r.next?.items.map((i) => i.id)).toEqual(['a']);
  });

  it('keeps max_items, the newest last; a known id replaces its item', () => {
    let n = pub(null, '1', { max_items: '2' }).next!;
    n = pub(n, '2').next!;
    n = pub(n, '3').next!;
    expect(n.items.map((i) => i.id)).toEqual(['2', '3']);
    n = pub(n, '2').next!;
    expect(n.items.map((i) => i.id)).toEqual(['3', '2']);
  });

  it('the default keeps one item; an id is generated when none is given', () => {
    let n = pub(null, undefined).next!;
    n = pub(n, undefined).next!;
    expect(n.items).toHaveLength(1);
    expect(n.items[0]!.id).toMatch(/./);
  });

  it('publish-options that do not match the node: precondition-not-met, nothing written', () => {
    const n = pub(null, 'a').next!;
    const r = pub(n, 'b', { access_model: 'open' });
    expect(r.next).toBeUndefined();
    expect(r.result).toBeInstanceOf(PubsubError);
    expect((r.result as PubsubError).toElement().toString()).toContain('precondition-not-met');
    expect(pub(n, 'b', { access_model: 'presence', unknown_field: 'x' }).next).toBeDefined();
  });

  it('max_items=max is met by max only', () => {
    const n = pub(null, 'a', { max_items: 'max' }).next!;
    expect(pub(n, 'b', { max_items: 'max' }).next).toBeDefined();
    expect(pub(n, 'b', { max_items: '10' }).next).toBeUndefined();
  });
});

describe('configure, retract, items', () => {
  it('a lower max_items drops the oldest; bad values are not-acceptable', () => {
    let n = pub(null, '1', { max_items: '5' }).next!;
    for (const id of ['2', '3', '4']) n = pub(n, id).next!;
    const c = configure(n, opts({ max_items: '2', access_model: 'roster' }), 256);
    expect(c.next?.items.map((i) => i.id)).toEqual(['3', '4']);
    expect(c.next?.config.accessModel).toBe('roster');
    expect((configure(n, opts({ access_model: 'authorize' }), 256).result as Error).message).toMatch(/not-acceptable/);
  });

  it('retract removes one; an unknown id is item-not-found', () => {
    let n = pub(null, '1', { max_items: '5' }).next!;
    n = pub(n, '2').next!;
    expect(retract(n, '1').next?.items.map((i) => i.id)).toEqual(['2']);
    expect((retract(n, 'x').result as Error).message).toBe('item-not-found');
  });

  it('selects by id, or the newest max, newest first', () => {
    let n = pub(null, '1', { max_items: '5' }).next!;
    for (const id of ['2', '3']) n = pub(n, id).next!;
    expect(selectItems(n, ['1', '3']).map((i) => i.id)).toEqual(['1', '3']);
    expect(selectItems(n, ['3', '1']).map((i) => i.id)).toEqual(['3', '1']);
    expect(selectItems(n, [], 2).map((i) => i.id)).toEqual(['3', '2']);
    expect(selectItems(n, []).map((i) => i.id)).toEqual(['3', '2', '1']);
  });
});

describe('node_config form', () => {
  it('round-trips through the form', () => {
    const n = pub(null, 'a', { access_model: 'whitelist', max_items: '7', notify_retract: '0' }).next!;
    const fields = formFields(configForm(n.config));
    expect(fields.get('pubsub#access_model')).toEqual(['whitelist']);
    expect(fields.get('pubsub#max_items')).toEqual(['7']);
    expect(fieldValue(n.config, 'pubsub#notify_retract')).toEqual(['0']);
    const el = parseElement(configForm(n.config).toString()) as Element;
    expect(el.attrs.type).toBe('form');
  });
});
