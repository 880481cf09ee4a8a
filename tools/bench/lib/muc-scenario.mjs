// The muc scenario's orchestration (run.mjs's main thread): which user sits
// in which room, the steps, the figures. The clients are in lib/muc.mjs, all
// in worker 1 (one clock for the send → receipt latencies). See README.md.

/**
 * Occupants of each room: room r holds users (r·O + j) mod U for j < O, with
 * U = R·O/K. Consecutive slots of one user are U ≥ O apart, so a user's K
 * rooms are distinct, and each room's users are distinct; with users
 * alternating edges, half of every room is on each edge.
 */
export function roomMembers(rooms, occupants, roomsPerUser) {
  const slots = rooms * occupants;
  if (slots % roomsPerUser !== 0) throw new Error(`--rooms ${rooms} × --occupants ${occupants} must be a multiple of --rooms-per-user ${roomsPerUser}`);
  const users = slots / roomsPerUser;
  if (users < occupants) throw new Error(`--rooms-per-user ${roomsPerUser} is more than --rooms ${rooms}: a room would hold one user twice`);
  return { users, rooms: Array.from({ length: rooms }, (_, r) => Array.from({ length: occupants }, (_, j) => (r * occupants + j) % users)) };
}

/** Server processes: everything sampled except the load generator. */
const serverNames = (o) => Object.keys(o).filter((k) => k !== 'bench');

export async function scenarioMuc(pool, ports, h) {
  const { say, cfg, round, percentiles } = h;
  const { users: U, rooms } = roomMembers(cfg.rooms, cfg.occupants, cfg.roomsPerUser);
  const slots = cfg.rooms * cfg.occupants;
  say(
    `muc: ${cfg.rooms} rooms × ${cfg.occupants} occupants on ${cfg.mucDomain} = ${slots} occupants, ${U} users in ${cfg.roomsPerUser} rooms each, edges ${ports.join(',')}${ports.length > 1 ? ' (users alternate)' : ''}; then ${cfg.duration} s (+${cfg.warmup} s warm-up) of groupchat from ${cfg.roomSenders} sender(s) per room, window ${cfg.window}`,
  );
  if (pool.size > 1) say('  (all muc users run in worker 1: the latencies need senders and receivers on one clock)');
  const names = Array.from({ length: U }, (_, i) => h.userName(i + 1));
  const registration = await h.register(pool, names, ports);
  const users = names.map((user, i) => ({ user, port: ports[i % ports.length] }));
  const setup = await pool.call(0, 'mucSetup', { users, rooms, mucDomain: cfg.mucDomain, prefix: cfg.prefix });
  say(
    `  ${setup.online} users online (presence sent, echo back) in ${round(setup.seconds, 2)} s${setup.failed ? `, ${setup.failed} failed ${JSON.stringify(setup.errors)}` : ''}`,
  );
  if (!setup.online) throw new Error('no muc user came online');

  // ---- join storm
  await h.sleep(1000);
  const memBefore = await h.memorySnapshot();
  const c0 = h.snapshotCpu();
  const j = await pool.call(0, 'mucJoin', { timeoutMs: cfg.joinTimeout * 1000 });
  const joinCpu = h.cpuDelta(c0, h.snapshotCpu());
  const memAfter = await h.memorySnapshot();
  const joinLat = percentiles([j.joinLatencies]);
  const readyLat = percentiles([j.roomReadyLatencies]);
  const join = {
    occupants: j.occupants,
    joined: j.joined,
    allJoined: j.allJoined,
    stormMs: round(j.stormMs, 0),
    joinLatencyMs: joinLat,
    roomReadyMs: readyLat,
    errors: j.errors,
    timedOut: j.timedOut,
    configErrors: j.configErrors,
    configErrorKinds: j.configErrorKinds,
    created201: j.created201,
    presencesMissing: j.presencesMissing,
    presenceDuplicates: j.presenceDuplicates,
    subjects: j.subjects,
    roomPresences: j.roomPresences,
    unexpected: j.unexpected,
    examples: j.examples,
    byRoom: j.byRoom,
    cpu: joinCpu,
    cpuMsPerJoin: h.perOp(joinCpu, j.joined, 'ms'),
  };
  say(
    `  join storm: ${j.joined}/${j.occupants} occupants have their self-presence (110) ${j.allJoined ? `after ${join.stormMs} ms` : `(${j.timedOut} still waiting after ${cfg.joinTimeout} s)`}; join (presence sent → self-presence) ms p50 ${joinLat.p50} p99 ${joinLat.p99} max ${joinLat.max}`,
  );
  say(
    `  rooms ready (creator's join → instant room configured) ms p50 ${readyLat.p50} p99 ${readyLat.p99} max ${readyLat.max}; ${j.created201}/${cfg.rooms} creators got 201${j.configErrors ? `; ${j.configErrors} configurations refused ${JSON.stringify(j.configErrorKinds)}` : ''}`,
  );
  say(
    `  occupant presences missing after the storm ${j.presencesMissing} (must be 0), duplicates ${j.presenceDuplicates}, join errors ${JSON.stringify(j.errors)}, subjects received ${j.subjects}/${j.joined}${j.roomPresences ? `, presences from the rooms themselves (caps) ${j.roomPresences}` : ''}`,
  );
  if (Object.keys(j.unexpected).length) say(`  unexpected during the joins: ${JSON.stringify(j.unexpected)}`);
  say(`  CPU during the storm: ${h.fmtCpu(joinCpu)}\n  CPU per join: ${h.fmtPerOp(join.cpuMsPerJoin, 'ms')}`);

  // ---- memory per occupant (after the joins, before any message: no history yet)
  const per = (a, b) => {
    const r = {};
    for (const k of serverNames(a)) if (a[k] != null && b[k] != null && j.joined > 0) r[k] = round((b[k] - a[k]) / j.joined, 2);
    return r;
  };
  const rssPer = per(memBefore.rssKiB, memAfter.rssKiB);
  const heapPer = per(memBefore.heapKiB, memAfter.heapKiB);
  const total = (o) =>
    Object.keys(o).length
      ? round(
          Object.values(o).reduce((s, v) => s + v, 0),
          2,
        )
      : null;
  const memory = {
    gcBeforeMeasuring: memBefore.gc && memAfter.gc,
    rssBeforeKiB: memBefore.rssKiB,
    rssAfterKiB: memAfter.rssKiB,
    perOccupantKiB: rssPer,
    totalPerOccupantKiB: total(rssPer),
    heapPerOccupantKiB: heapPer,
    heapTotalPerOccupantKiB: total(heapPer),
  };
  if (serverNames(rssPer).length) {
    say(
      `  RSS before the joins: ${h.fmtRss(memBefore.rssKiB)}${memBefore.gc ? ' (after a forced full GC in each node service)' : ''}\n  RSS after the joins:  ${h.fmtRss(memAfter.rssKiB)}`,
    );
    say(
      `  memory per occupant (RSS, KiB): ${Object.entries(rssPer)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}; total ${memory.totalPerOccupantKiB} KiB${memory.gcBeforeMeasuring ? ` (V8 heap+external: total ${memory.heapTotalPerOccupantKiB} KiB)` : ''}`,
    );
  } else say('  (no server pids: pass --pids name=pid,... for memory per occupant)');

  // ---- throughput
  await h.sleep(500);
  const warmupMs = cfg.warmup * 1000;
  const durationMs = cfg.duration * 1000;
  const { r: run, cpu } = await h.measured(
    pool.call(0, 'mucRun', { roomSenders: cfg.roomSenders, window: cfg.window, warmupMs, durationMs, drainMs: cfg.drain * 1000 }),
    warmupMs,
    durationMs,
  );
  const lat = percentiles([run.latencies]);
  const echo = percentiles([run.echoLatencies]);
  const throughput = {
    senders: run.senders,
    deliveredPerSecond: round(run.deliveredInWindow / cfg.duration, 0),
    sentPerSecond: round(run.sentInWindow / cfg.duration, 0),
    fanoutLatencyMs: lat,
    reflectionLatencyMs: echo,
    sent: run.sent,
    expected: run.expected,
    delivered: run.delivered,
    missing: run.missing,
    sendersWithMissing: run.sendersWithMissing,
    duplicates: run.duplicates,
    outOfOrder: run.outOfOrder,
    bounced: run.bounced,
    wrongNick: run.wrongNick,
    inflightAfterDrain: run.inflightAfterDrain,
    drainedMs: round(run.drainedMs, 0),
    streamErrors: run.streamErrors,
    connectionsClosed: run.closed,
    unexpected: run.unexpected,
    examples: run.examples,
    generatorElu: [round(run.elu, 2)],
    cpu,
    cpuUsPerDelivered: h.perOp(cpu, run.deliveredInWindow, 'µs'),
    cpuUsPerSent: h.perOp(cpu, run.sentInWindow, 'µs'),
  };
  say(
    `  groupchat: ${run.senders} senders, messages sent/s ${throughput.sentPerSecond}, delivered to occupants/s ${throughput.deliveredPerSecond} (${run.deliveredInWindow} in ${cfg.duration} s, the senders' own reflected copies included)`,
  );
  say(
    `  fan-out latency (send → receipt at each occupant) ms p50 ${lat.p50} p95 ${lat.p95} p99 ${lat.p99} max ${lat.max}; own reflection p50 ${echo.p50} p99 ${echo.p99}`,
  );
  say(
    `  sent ${run.sent}, expected deliveries ${run.expected}, delivered ${run.delivered}, missing ${run.missing} (must be 0; ${run.sendersWithMissing} senders affected), duplicates ${run.duplicates} (must be 0), out of order ${run.outOfOrder}, bounced ${run.bounced}, drain ${throughput.drainedMs} ms, stream errors ${run.streamErrors}, connections closed ${run.closed}`,
  );
  if (run.wrongNick) say(`  ${run.wrongNick} messages came from another nick than their sender's`);
  if (Object.keys(run.unexpected).length) say(`  unexpected during the run: ${JSON.stringify(run.unexpected)}`);
  if (cfg.verbose) for (const [k, v] of Object.entries({ ...j.examples, ...run.examples })) say(`  example, ${k}: ${v}`);
  say(`  generator event-loop utilisation: ${throughput.generatorElu.join(', ')}`);
  if (cpu)
    say(
      `  CPU in window: ${h.fmtCpu(cpu)}\n  CPU per delivered message: ${h.fmtPerOp(throughput.cpuUsPerDelivered, 'µs')}\n  CPU per message sent: ${h.fmtPerOp(throughput.cpuUsPerSent, 'µs')}`,
    );
  await pool.call(0, 'mucClose');
  return {
    rooms: cfg.rooms,
    occupantsPerRoom: cfg.occupants,
    roomsPerUser: cfg.roomsPerUser,
    users: U,
    mucDomain: cfg.mucDomain,
    crossEdge: ports.length > 1,
    registration,
    setup,
    join,
    memory,
    throughput,
  };
}
