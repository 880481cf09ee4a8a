// Preloaded into the services the bench starts (NODE_OPTIONS=--require ...).
// No cost while idle; it only adds two hooks the bench uses:
//  - SIGUSR2: run a full GC (twice, via node:inspector; no --expose-gc
//    needed), then write process.memoryUsage() to
//    $BENCH_MEM_DIR/mem.<pid>.json, so memory figures exclude garbage;
//  - with $BENCH_CPU_PROF_DIR (`run.mjs --cpu-prof DIR`): profile the whole
//    life of the process and write CPU.<pid>.cpuprofile on exit (Node 20
//    does not accept --cpu-prof in NODE_OPTIONS).
'use strict';
const inspector = require('node:inspector');
const { writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

let session;
function inspectorSession() {
  if (!session) {
    session = new inspector.Session();
    session.connect();
  }
  return session;
}

const memDir = process.env.BENCH_MEM_DIR;
if (memDir) {
  process.on('SIGUSR2', () => {
    const s = inspectorSession();
    // (the callback runs later; a post from inside a callback never answers, hence setImmediate)
    const gc = (then) => s.post('HeapProfiler.collectGarbage', () => setImmediate(then));
    gc(() =>
      gc(() =>
        setTimeout(() => {
          const file = join(memDir, `mem.${process.pid}.json`);
          writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
          renameSync(`${file}.tmp`, file);
        }, 100),
      ),
    );
  });
}

const profDir = process.env.BENCH_CPU_PROF_DIR;
if (profDir) {
  const s = inspectorSession();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: 1000 });
  s.post('Profiler.start');
  let done = false;
  process.on('exit', () => {
    if (done) return;
    done = true;
    s.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(profDir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
