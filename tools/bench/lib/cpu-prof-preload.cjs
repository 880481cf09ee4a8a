// Preloaded into the services (NODE_OPTIONS=--require ...) by `run.mjs
// --cpu-prof DIR`: Node 20 does not allow --cpu-prof in NODE_OPTIONS, so we
// drive the V8 profiler through node:inspector and write the profile on exit
// as CPU.<pid>.cpuprofile in $BENCH_CPU_PROF_DIR.
'use strict';
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let done = false;
  process.on('exit', () => {
    if (done) return;
    done = true;
    // the in-thread session answers synchronously
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
