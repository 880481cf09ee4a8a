// Summarise V8 .cpuprofile files (written by the services when the bench
// runs with --cpu-prof DIR): self time per function, heaviest first.
import { readFileSync, readdirSync } from 'node:fs';
import { join, basename } from 'node:path';

export function summarise(file, top = 15) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> µs
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = p.endTime - p.startTime;
  const fn = new Map();
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const where = cf.url ? `${cf.url.replace(/^.*\/(node_modules|dist|apps|libs)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const rows = [...fn].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    file: basename(file),
    seconds: Math.round(total / 1e4) / 100,
    busySeconds: Math.round(busy / 1e4) / 100,
    top: rows.map(([k, us]) => ({ fn: k, ms: Math.round(us / 1000), percentOfBusy: Math.round((1000 * us) / busy) / 10 })),
  };
}

export function summariseDir(dir, top) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarise(join(dir, f), top));
}
