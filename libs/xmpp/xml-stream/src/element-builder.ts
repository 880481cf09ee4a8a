// Builds ltx Elements from scanner events for elements at or below a base depth
// (RFC 6120 §4.1: a stanza is a first-level child of the stream root; RFC 7395 §3.3:
// one element per WebSocket frame).
import { Element } from 'ltx';
import { NsScope } from './ns-scope';
import { attrsCost, elementCost, textCost } from './dom-cost';
import type { BuildProblem } from './types';

export interface ElementBuilderOptions {
  /** Depth of the built items: 1 for stanzas under a stream header, 0 for a standalone element. */
  baseDepth: number;
  /** Most prefixed namespace declarations on one element (0: no limit). */
  maxNamespaceDeclarations: number;
  /** Most estimated memory of the item being built (dom-cost.ts; 0: no limit). */
  maxDomBytes: number;
}

export class ElementBuilder {
  readonly scope: NsScope;
  /** Parent given to completed top-level elements (not added to its children). */
  topParent: Element | null = null;
  /** May change between items (a lower limit before authentication). */
  maxDomBytes: number;
  private cursor: Element | null = null;
  private readonly baseDepth: number;
  /** Estimated memory of the item being built. */
  private domBytes = 0;

  constructor(
    opts: ElementBuilderOptions,
    private readonly emit: (el: Element) => void,
    private readonly fail: (problem: BuildProblem) => void,
  ) {
    this.baseDepth = opts.baseDepth;
    this.maxDomBytes = opts.maxDomBytes;
    this.scope = new NsScope({ itemDepth: opts.baseDepth, maxDeclarations: opts.maxNamespaceDeclarations });
  }

  start(name: string, attrs: Record<string, string>, selfClosing: boolean, depth: number): void {
    const problem = this.scope.enter(name, attrs, depth);
    if (problem !== null) return this.fail(problem);
    if (depth === this.baseDepth) this.domBytes = 0;
    if (!this.charge(elementCost(name) + attrsCost(attrs))) return;
    const el = new Element(name);
    el.attrs = attrs;
    const parent = this.cursor;
    if (depth === this.baseDepth || parent === null) {
      el.parent = this.topParent;
    } else {
      el.parent = parent;
      parent.children.push(el);
    }
    if (!selfClosing) {
      this.cursor = el;
      return;
    }
    this.scope.leave(depth);
    if (depth === this.baseDepth) this.complete(el);
  }

  end(depth: number): void {
    const el = this.cursor;
    if (el === null) return;
    this.scope.leave(depth);
    if (depth === this.baseDepth) {
      this.cursor = null;
      this.complete(el);
    } else {
      this.cursor = el.parent;
    }
  }

  text(text: string): void {
    const el = this.cursor;
    if (el === null) return;
    if (!this.charge(textCost(text))) return;
    const children = el.children;
    const last = children.length - 1;
    const prev = children[last];
    if (typeof prev === 'string') children[last] = prev + text;
    else children.push(text);
  }

  /** Forgets the element in progress and all namespace declarations. */
  reset(): void {
    this.cursor = null;
    this.topParent = null;
    this.domBytes = 0;
    this.scope.clear();
  }

  private charge(cost: number): boolean {
    this.domBytes += cost;
    const max = this.maxDomBytes;
    if (max <= 0 || this.domBytes <= max) return true;
    this.cursor = null;
    this.fail({ condition: 'policy-violation', text: `stanza exceeds the maximum size of ${max} bytes in memory`, limit: 'dom-size' });
    return false;
  }

  /**
   * A finished item goes out standalone: prefixes it uses that are declared on the
   * stream header are declared on it too, so that it serializes to well-formed XML
   * (Namespaces in XML 1.0 §5; issue 9 #11: they reached recipients undeclared).
   */
  private complete(el: Element): void {
    const inherited = this.scope.takeInherited();
    if (inherited !== null) {
      for (const [prefix, uri] of inherited) {
        const key = `xmlns:${prefix}`;
        if (!Object.hasOwn(el.attrs, key)) el.attrs[key] = uri;
      }
    }
    this.emit(el);
  }
}
