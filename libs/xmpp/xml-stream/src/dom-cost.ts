// Estimated memory of the elements the parser builds, so that what a stream may make
// the server hold is bounded by what it costs, not only by the bytes it sent: a few
// bytes of markup (`<a/>`) become an ltx Element of about 160 bytes of heap (measured
// on V8: the object, its attrs object and children array), an attribute about 32
// bytes beside its strings (issue 9 #8: unfinished stanzas of small children cost the
// edge 1.9 MiB per connection before authentication).
const ELEMENT = 160;
const ATTRIBUTE = 32;
const STRING = 32;

export function elementCost(name: string): number {
  return ELEMENT + name.length;
}

export function attrsCost(attrs: Record<string, string>): number {
  let cost = 0;
  for (const key in attrs) cost += ATTRIBUTE + key.length + (attrs[key] as string).length;
  return cost;
}

/** A piece of character data (pieces are joined, but each is a string until then). */
export function textCost(text: string): number {
  return STRING + text.length;
}
