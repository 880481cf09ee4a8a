// The upload scenario (XEP-0363's HTTP side, apps/upload): one user asks the
// router for slots over XMPP (untimed), then --transfers PUTs of --file-mb MiB
// each run at once, --rounds times (timed: MB/s through the upload service
// into JetStream's object store), then as many GETs (MB/s out). The upload
// process's RSS is sampled every 20 ms: its peak above the level before, over
// the transfers under way, is the memory one transfer costs. See README.md.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { login, ScramCache } from './xmpp.mjs';

const CHUNK = randomBytes(64 * 1024);

/** PUT `size` bytes (CHUNK repeated) to `url`; resolves with the status. */
function put(url, size) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** GET `url`; resolves with the bytes received. */
function get(url) {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => resolve(res.statusCode === 200 ? n : -1));
    })
      .on('error', reject)
      .end();
  });
}

/** Run `jobs` (functions returning promises) `width` at a time. */
async function inParallel(jobs, width) {
  const out = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < jobs.length) {
        const j = i++;
        out[j] = await jobs[j]();
      }
    }),
  );
  return out;
}

/** RSS (KiB) of `pid` sampled every 20 ms while `work` runs: its peak. */
async function peakRss(h, pid, work) {
  let peak = h.rssKiB(pid) ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, h.rssKiB(pid) ?? 0)), 20);
  try {
    const r = await work();
    return { r, peak };
  } finally {
    clearInterval(timer);
  }
}

export async function scenarioUpload(pool, ports, h) {
  const { say, cfg, round } = h;
  const size = Math.round(cfg.fileMb * 1024 * 1024);
  const total = cfg.transfers * cfg.rounds;
  const mb = (total * size) / 1e6;
  say(`upload: ${cfg.rounds} rounds of ${cfg.transfers} concurrent transfers of ${cfg.fileMb} MiB (${round(mb, 0)} MB each way) through upload.${cfg.domain}`);
  const user = h.userName(1);
  await h.register(pool, [user], ports);
  const { conn } = await login({ port: ports[0], host: cfg.host, domain: cfg.domain, user, password: cfg.password, cache: new ScramCache() });
  const slots = [];
  for (let i = 0; i < total; i++) {
    conn.send(
      `<iq type='get' id='s${i}' to='upload.${cfg.domain}'><request xmlns='urn:xmpp:http:upload:0' filename='bench${i}.bin' size='${size}' content-type='application/octet-stream'/></iq>`,
    );
    const el = await conn.until((e) => e.startsWith('<iq'));
    const putUrl = /<put url=["']([^"']+)["']/.exec(el)?.[1]?.replace(/&amp;/g, '&');
    const getUrl = /<get url=["']([^"']+)["']/.exec(el)?.[1];
    if (!putUrl || !getUrl) throw new Error(`no slot: ${el.slice(0, 300)}`);
    slots.push({ putUrl, getUrl });
  }
  conn.close();
  const upload = h.procs.find((p) => p.name === 'upload');
  const mem0 = upload ? await h.memorySnapshot() : null;
  const base = upload ? h.rssKiB(upload.pid) : null;

  const cpu0 = h.snapshotCpu();
  const t0 = performance.now();
  const puts = await peakRss(h, upload?.pid, () =>
    inParallel(
      slots.map((s) => () => put(s.putUrl, size)),
      cfg.transfers,
    ),
  );
  const putSeconds = (performance.now() - t0) / 1000;
  const putCpu = h.cpuDelta(cpu0, h.snapshotCpu());
  const putFailed = puts.r.filter((s) => s !== 201).length;

  const cpu1 = h.snapshotCpu();
  const t1 = performance.now();
  const gets = await peakRss(h, upload?.pid, () =>
    inParallel(
      slots.map((s) => () => get(s.getUrl)),
      cfg.transfers,
    ),
  );
  const getSeconds = (performance.now() - t1) / 1000;
  const getCpu = h.cpuDelta(cpu1, h.snapshotCpu());
  const getFailed = gets.r.filter((n) => n !== size).length;

  const perTransfer = (peak) => (base === null ? null : round(Math.max(0, peak - base) / 1024 / cfg.transfers, 2));
  const result = {
    transfers: cfg.transfers,
    fileMiB: cfg.fileMb,
    rounds: cfg.rounds,
    put: {
      seconds: round(putSeconds, 2),
      mbPerSec: round(mb / putSeconds, 1),
      failed: putFailed,
      cpu: putCpu,
      peakRssMiB: round(puts.peak / 1024, 1),
      rssPerTransferMiB: perTransfer(puts.peak),
    },
    get: {
      seconds: round(getSeconds, 2),
      mbPerSec: round(mb / getSeconds, 1),
      failed: getFailed,
      cpu: getCpu,
      peakRssMiB: round(gets.peak / 1024, 1),
      rssPerTransferMiB: perTransfer(gets.peak),
    },
    uploadRssBeforeMiB: base === null ? null : round(base / 1024, 1),
    uploadHeapBeforeKiB: mem0?.heapKiB?.upload ?? null,
  };
  say(
    `  PUT: ${result.put.mbPerSec} MB/s (${round(mb, 0)} MB in ${result.put.seconds} s), ${putFailed} failed; upload RSS peak ${result.put.peakRssMiB} MiB from ${result.uploadRssBeforeMiB}: ${result.put.rssPerTransferMiB} MiB per transfer`,
  );
  say(`       CPU: ${h.fmtCpu(putCpu)}`);
  say(
    `  GET: ${result.get.mbPerSec} MB/s (${result.get.seconds} s), ${getFailed} failed; upload RSS peak ${result.get.peakRssMiB} MiB: ${result.get.rssPerTransferMiB} MiB per transfer`,
  );
  say(`       CPU: ${h.fmtCpu(getCpu)}`);
  return result;
}
