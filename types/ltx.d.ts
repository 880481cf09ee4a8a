// Type declarations for ltx 3 (it ships none): the parts this repo uses.
declare module 'ltx' {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, string>);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    attr(name: string): string | undefined;
    attr(name: string, value: string | null): this;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    text(value: string): this;
    c(name: string, attrs?: Record<string, string>): Element;
    cnode<T extends Node>(child: T): T;
    t(text: string): this;
    up(): Element;
    root(): Element;
    append(...nodes: Node[]): void;
    prepend(...nodes: Node[]): void;
    remove(el: Element | string, xmlns?: string): this;
    toString(): string;
    write(writer: (s: string) => void): void;
  }
  export function createElement(name: string, attrs?: Record<string, string> | null, ...children: Node[]): Element;
  export function escapeXML(s: string): string;
  export function unescapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function unescapeXMLText(s: string): string;
  export function parse(s: string): Element;
  export function equal(a: Element, b: Element): boolean;
  export function clone<T extends Node>(n: T): T;
  export function isElement(n: unknown): n is Element;
  export function isText(n: unknown): n is string;
  export function stringify(el: Element, indent?: number): string;
  export class Parser {
    constructor(opts?: unknown);
    write(data: string): void;
    end(data?: string): void;
    on(event: string, fn: (...args: never[]) => void): this;
  }
  export const parsers: Record<string, unknown>;
}
declare module 'ltx/src/parsers/ltx.js' {
  import { EventEmitter } from 'node:events';
  export default class SaxLtx extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
}
