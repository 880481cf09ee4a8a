// In-scope namespace prefixes of the open elements.
// Namespaces in XML 1.0 §3 (declaring namespaces), §5 (every prefix used must be
// declared, 'xml' is predeclared, 'xmlns' may not be used as an element prefix and
// prefixed declarations may not be empty); RFC 6120 §11.2 (XML namespaces).
//
// Each lookup and each declaration costs O(1): a map from prefix to the stack of its
// bindings (innermost last), and one stack of all bindings in declaration order that
// says which to pop when an element closes. Scanning the chain of scopes instead made
// a stanza that declares thousands of prefixes and uses the first one thousands of
// times quadratic (issue 9 #7).
import { clip } from './xml-chars';
import type { BuildProblem } from './types';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

interface Binding {
  prefix: string;
  uri: string;
  depth: number;
}

export interface NsScopeOptions {
  /** Elements above this depth (the stream header) are outside the built items. */
  itemDepth: number;
  /** Most prefixed namespace declarations one element may make (0: no limit). */
  maxDeclarations: number;
}

export class NsScope {
  private readonly bindings = new Map<string, Binding[]>();
  private readonly declared: Binding[] = [];
  /** Prefixes used in the current item whose binding is outside it (on the stream header). */
  private readonly inherited = new Map<string, string>();
  /** Bindings examined so far, by lookups and by leave() (the linearity test counts them). */
  probes = 0;

  constructor(private readonly opts: NsScopeOptions) {}

  has(prefix: string): boolean {
    return prefix === 'xml' || this.bindings.has(prefix);
  }

  /** Declares the prefixes of an element at `depth` and checks its names; returns a problem or null. */
  enter(name: string, attrs: Record<string, string>, depth: number): BuildProblem | null {
    let prefixed = name.indexOf(':') !== -1;
    let count = 0;
    const max = this.opts.maxDeclarations;
    for (const key in attrs) {
      if (key.startsWith('xmlns:')) {
        if (max > 0 && ++count > max) {
          return { condition: 'policy-violation', text: `more than ${max} namespace declarations on one element`, limit: 'namespace-declarations' };
        }
        const problem = this.declare(key.slice(6), attrs[key] ?? '', depth);
        if (problem !== null) return { condition: 'not-well-formed', text: problem };
      } else if (key.indexOf(':') !== -1) {
        prefixed = true;
      }
    }
    if (!prefixed) return null;
    const problem = this.checkNames(name, attrs, depth);
    return problem === null ? null : { condition: 'not-well-formed', text: problem };
  }

  /** Forgets the declarations of elements at `depth` and deeper. */
  leave(depth: number): void {
    const declared = this.declared;
    while (declared.length > 0 && (declared[declared.length - 1] as Binding).depth >= depth) {
      const b = declared.pop() as Binding;
      this.probes++;
      const stack = this.bindings.get(b.prefix) as Binding[];
      stack.pop();
      if (stack.length === 0) this.bindings.delete(b.prefix);
    }
  }

  /**
   * The prefixes the item just built used but did not declare (they are bound on the
   * stream header), with their namespaces; forgets them for the next item.
   */
  takeInherited(): Map<string, string> | null {
    if (this.inherited.size === 0) return null;
    const out = new Map(this.inherited);
    this.inherited.clear();
    return out;
  }

  clear(): void {
    this.bindings.clear();
    this.declared.length = 0;
    this.inherited.clear();
  }

  private declare(prefix: string, uri: string, depth: number): string | null {
    if (uri === '') return `empty namespace declaration for prefix '${clip(prefix)}'`;
    if (prefix === 'xmlns') return "the prefix 'xmlns' cannot be declared";
    if ((prefix === 'xml') !== (uri === XML_NS)) return `invalid binding of the namespace '${clip(uri)}'`;
    const b: Binding = { prefix, uri, depth };
    this.declared.push(b);
    const stack = this.bindings.get(prefix);
    if (stack === undefined) this.bindings.set(prefix, [b]);
    else stack.push(b);
    return null;
  }

  /** Whether `prefix` is bound; notes a use of a binding made outside the item. */
  private resolve(prefix: string, depth: number): boolean {
    this.probes++;
    if (prefix === 'xml') return true;
    const stack = this.bindings.get(prefix);
    if (stack === undefined) return false;
    const b = stack[stack.length - 1] as Binding;
    if (b.depth < this.opts.itemDepth && depth >= this.opts.itemDepth) this.inherited.set(prefix, b.uri);
    return true;
  }

  private checkNames(name: string, attrs: Record<string, string>, depth: number): string | null {
    const colon = name.indexOf(':');
    if (colon !== -1) {
      const prefix = name.slice(0, colon);
      if (prefix === 'xmlns' || !this.resolve(prefix, depth)) return `undeclared namespace prefix '${clip(prefix)}' in <${clip(name)}>`;
    }
    for (const key in attrs) {
      const c = key.indexOf(':');
      if (c === -1) continue;
      const prefix = key.slice(0, c);
      if (prefix !== 'xmlns' && !this.resolve(prefix, depth)) return `undeclared namespace prefix '${clip(prefix)}' in attribute '${clip(key)}'`;
    }
    return null;
  }
}
