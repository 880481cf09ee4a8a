// In-scope namespace prefixes of the open elements.
// Namespaces in XML 1.0 §3 (declaring namespaces), §5 (every prefix used must be
// declared, 'xml' is predeclared, 'xmlns' may not be used as an element prefix and
// prefixed declarations may not be empty); RFC 6120 §11.2 (XML namespaces).
import { clip } from './xml-chars';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export class NsScope {
  private readonly prefixes: string[] = [];
  private readonly depths: number[] = [];

  has(prefix: string): boolean {
    return prefix === 'xml' || this.prefixes.lastIndexOf(prefix) !== -1;
  }

  /** Declares the prefixes of an element at `depth` and checks its names; returns a problem or null. */
  enter(name: string, attrs: Record<string, string>, depth: number): string | null {
    let prefixed = name.indexOf(':') !== -1;
    for (const key in attrs) {
      if (key.startsWith('xmlns:')) {
        const problem = this.declare(key.slice(6), attrs[key] ?? '', depth);
        if (problem !== null) return problem;
      } else if (key.indexOf(':') !== -1) {
        prefixed = true;
      }
    }
    return prefixed ? this.checkNames(name, attrs) : null;
  }

  /** Forgets the declarations of elements at `depth` and deeper. */
  leave(depth: number): void {
    while (this.depths.length > 0 && (this.depths[this.depths.length - 1] ?? 0) >= depth) {
      this.depths.pop();
      this.prefixes.pop();
    }
  }

  clear(): void {
    this.depths.length = 0;
    this.prefixes.length = 0;
  }

  private declare(prefix: string, uri: string, depth: number): string | null {
    if (uri === '') return `empty namespace declaration for prefix '${clip(prefix)}'`;
    if (prefix === 'xmlns') return "the prefix 'xmlns' cannot be declared";
    if ((prefix === 'xml') !== (uri === XML_NS)) return `invalid binding of the namespace '${clip(uri)}'`;
    this.prefixes.push(prefix);
    this.depths.push(depth);
    return null;
  }

  private checkNames(name: string, attrs: Record<string, string>): string | null {
    const colon = name.indexOf(':');
    if (colon !== -1) {
      const prefix = name.slice(0, colon);
      if (prefix === 'xmlns' || !this.has(prefix)) return `undeclared namespace prefix '${clip(prefix)}' in <${clip(name)}>`;
    }
    for (const key in attrs) {
      const c = key.indexOf(':');
      if (c === -1) continue;
      const prefix = key.slice(0, c);
      if (prefix !== 'xmlns' && !this.has(prefix)) return `undeclared namespace prefix '${clip(prefix)}' in attribute '${clip(key)}'`;
    }
    return null;
  }
}
