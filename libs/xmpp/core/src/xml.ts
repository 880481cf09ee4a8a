// Small helpers over ltx elements: build, read and serialize stanzas.
import { Element } from 'ltx';

export { Element };
export type Attrs = Record<string, string | number | undefined | null>;
export type Child = Element | string | null | undefined | false;

/** Build an element: x('iq', { type: 'result', id }, x('ping', { xmlns: NS.PING })). Undefined attrs are left out. */
export function x(name: string, attrs: Attrs = {}, ...children: Array<Child | Child[]>): Element {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) clean[k] = String(v);
  const el = new Element(name, clean);
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.cnode(c as never);
  return el;
}

/** First child element with this name (and namespace, when given). */
export function child(el: Element, name: string, xmlns?: string): Element | undefined {
  for (const c of el.children) {
    if (typeof c !== 'string' && c.name === name && (xmlns === undefined || c.attrs.xmlns === xmlns)) return c;
  }
  return undefined;
}

/** The element children, without text nodes. */
export function elements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string');
}

/** The first element child (the payload of an iq). */
export function firstElement(el: Element): Element | undefined {
  for (const c of el.children) if (typeof c !== 'string') return c;
  return undefined;
}

export function text(el: Element | undefined): string {
  return el ? el.getText() : '';
}
