// DIGEST-MD5 directive lists, RFC 2831 §7.1 ("#rule" comma lists with optional whitespace)
// and §7.2 (quoted-string with backslash quoted-pairs), as used in challenges and responses.

export type Directives = Map<string, string[]>;

const LWS = /[ \t\r\n]*/y;
// eslint-disable-next-line no-control-regex
const TOKEN = /[^\x00-\x20\x7f()<>@,;:\\"/[\]?={}]+/y;
const BARE_VALUE = /[^,\s"]+/y; // lenient: unquoted values such as xmpp/example.com

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  match(re: RegExp): string | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null) return null;
    this.pos = re.lastIndex;
    return m[0];
  }

  skipSpace(): void {
    this.match(LWS);
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }
}

function readQuoted(c: Cursor): string | null {
  let out = '';
  c.pos++; // opening quote
  while (!c.atEnd()) {
    const ch = c.text[c.pos++] as string;
    if (ch === '"') return out;
    if (ch === '\\') {
      if (c.atEnd()) return null;
      out += c.text[c.pos++];
    } else {
      out += ch;
    }
  }
  return null; // unterminated
}

function readValue(c: Cursor): string | null {
  return c.peek() === '"' ? readQuoted(c) : c.match(BARE_VALUE);
}

function readDirective(c: Cursor, into: Directives): boolean {
  const name = c.match(TOKEN);
  if (name === null) return false;
  c.skipSpace();
  if (c.peek() !== '=') return false;
  c.pos++;
  c.skipSpace();
  const value = readValue(c);
  if (value === null) return false;
  const key = name.toLowerCase();
  into.set(key, [...(into.get(key) ?? []), value]);
  return true;
}

/** Parses `a=b, c="d\"e",,f=g`; returns null on any syntax error. Names are lower-cased. */
export function parseDirectives(text: string): Directives | null {
  const out: Directives = new Map();
  const c = new Cursor(text);
  for (;;) {
    c.skipSpace();
    while (c.peek() === ',') {
      c.pos++;
      c.skipSpace();
    }
    if (c.atEnd()) return out;
    if (!readDirective(c, out)) return null;
    c.skipSpace();
    if (!c.atEnd() && c.peek() !== ',') return null;
  }
}

/** The only value of a directive; undefined when absent, null when repeated. */
export function single(d: Directives, name: string): string | undefined | null {
  const values = d.get(name);
  if (values === undefined) return undefined;
  return values.length === 1 ? (values[0] as string) : null;
}

export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/** Serialises directives; values listed in `bare` are written unquoted. */
export function formatDirectives(entries: readonly (readonly [string, string])[], bare: ReadonlySet<string>): string {
  return entries.map(([k, v]) => `${k}=${bare.has(k) ? v : quote(v)}`).join(',');
}
