// Micro-benchmark of the RFC 6120 stream parser (not a test). Bundles src/ with esbuild
// into a temporary file, then feeds a stream of realistic stanzas in 16 KiB chunks.
// Run: node libs/xmpp/xml-stream/bench/parse-bench.mjs   (from the repo root or anywhere)
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'xml-stream-bench-'));
const outfile = join(dir, 'bundle.mjs');
await build({ entryPoints: [join(here, '../src/index.ts')], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error' });
const { XmlStreamParser } = await import(pathToFileURL(outfile).href);
rmSync(dir, { recursive: true, force: true });

const HEADER = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
const STANZAS = [
  "<message from='juliet@example.com/balcony' to='romeo@example.net' type='chat' id='m1'><body>Wherefore art thou, Romeo? &amp; caf\u00e9</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
  "<presence from='juliet@example.com/balcony'><show>away</show><status>At the ball</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://example.com' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>",
  "<iq type='get' id='ping1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
];
const N = 200_000;
const body = Buffer.from(Array.from({ length: N }, (_, i) => STANZAS[i % STANZAS.length]).join(''));
const chunks = [];
for (let i = 0; i < body.length; i += 16384) chunks.push(body.subarray(i, i + 16384));

function run() {
  let count = 0;
  const p = new XmlStreamParser({
    onStreamStart() {},
    onStanza() {
      count++;
    },
    onStreamEnd() {},
    onError(c, t) {
      throw new Error(`${c}: ${t}`);
    },
  });
  p.write(HEADER);
  for (const c of chunks) p.write(c);
  return count;
}

for (let round = 0; round < 5; round++) {
  const t0 = process.hrtime.bigint();
  const count = run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `round ${round}: ${count} stanzas in ${ms.toFixed(0)} ms = ${Math.round(count / (ms / 1000))} stanzas/s, ${(body.length / 1048576 / (ms / 1000)).toFixed(1)} MiB/s`,
  );
}

// Issue 9 #7: one stanza that declares many prefixes and uses the first one many times.
// With a lookup that scanned the scope chain this was quadratic (0.5-1.2 s per 250 KB
// stanza); it must now cost about as much per byte as the stanzas above. The caps on
// declarations and attributes are lifted here to measure the lookup itself.
function nsStanza(n) {
  const decls = Array.from({ length: n }, (_, i) => ` xmlns:p${i}='urn:x:${i}'`).join('');
  return `<message${decls}>${'<p0:a/>'.repeat(n)}</message>`;
}
for (const [i, n] of [2000, 2000, 8000].entries()) {
  const stanza = nsStanza(n);
  const p = new XmlStreamParser(
    {
      onStreamStart() {},
      onStanza() {},
      onStreamEnd() {},
      onError(c, t) {
        throw new Error(`${c}: ${t}`);
      },
    },
    { maxStanzaBytes: 4 * stanza.length, maxAttributes: 0, maxNamespaceDeclarations: 0 },
  );
  p.write(HEADER);
  const t0 = process.hrtime.bigint();
  p.write(stanza);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (i === 0) continue; // warm-up
  console.log(
    `namespaces: ${n} declarations + ${n} uses (${(stanza.length / 1024).toFixed(0)} KiB) in ${ms.toFixed(1)} ms = ${(stanza.length / 1048576 / (ms / 1000)).toFixed(1)} MiB/s`,
  );
}
