// Builds ltx Elements from scanner events for elements at or below a base depth
// (RFC 6120 §4.1: a stanza is a first-level child of the stream root; RFC 7395 §3.3:
// one element per WebSocket frame).
import { Element } from 'ltx';
import { NsScope } from './ns-scope';

export class ElementBuilder {
  readonly scope = new NsScope();
  /** Parent given to completed top-level elements (not added to its children). */
  topParent: Element | null = null;
  private cursor: Element | null = null;

  constructor(
    private readonly baseDepth: number,
    private readonly emit: (el: Element) => void,
    private readonly fail: (text: string) => void,
  ) {}

  start(name: string, attrs: Record<string, string>, selfClosing: boolean, depth: number): void {
    const problem = this.scope.enter(name, attrs, depth);
    if (problem !== null) return this.fail(problem);
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
    if (depth === this.baseDepth) this.emit(el);
  }

  end(depth: number): void {
    const el = this.cursor;
    if (el === null) return;
    this.scope.leave(depth);
    if (depth === this.baseDepth) {
      this.cursor = null;
      this.emit(el);
    } else {
      this.cursor = el.parent;
    }
  }

  text(text: string): void {
    const el = this.cursor;
    if (el === null) return;
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
    this.scope.clear();
  }
}
