// The muc scenario's client side (XEP-0045), run in one worker thread so that
// every sender and every occupant share one clock and one set of counters.
// run.mjs drives it: mucSetup (log in), mucJoin (the timed join storm),
// mucRun (groupchat throughput), mucClose. Raw XML, as the rest of the bench.
//
// Rooms: rooms[r] lists the user indexes of its occupants; the first one
// creates the room and accepts the default configuration (XEP-0045 §10.1.2,
// instant room) before the others join. Nick = the user's name.
import { performance } from 'node:perf_hooks';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';

/** Value of attribute `name` (given as ' from=') inside the start tag that ends at gt. */
function attrIn(el, gt, name) {
  const i = el.indexOf(name);
  if (i < 0 || i > gt) return null;
  const s = i + name.length + 1;
  const e = el.indexOf(el[s - 1], s);
  return e < 0 ? null : el.slice(s, e);
}

const hasCode = (el, code) => el.includes(`code='${code}'`) || el.includes(`code="${code}"`);
const errorCondition = (el) => /<error[^>]*>\s*<([a-z-]+)/.exec(el)?.[1] ?? 'unknown';

/**
 * deps: { login, cache, opts, Samples, pool, countError, sleep } from worker.mjs.
 * Returns the worker commands of the scenario.
 */
export function mucHandlers({ login, cache, opts, Samples, pool, countError, sleep }) {
  /** The scenario's state (one per worker: run.mjs uses worker 0 only). */
  let M = null;

  const example = (kind, el) => (M.examples[kind] ??= el.slice(0, 400));
  const unexpected = (what, el) => {
    M.unexpected[what] = (M.unexpected[what] ?? 0) + 1;
    if (el) example(what, el);
  };

  function scheduleFlush(u) {
    if (!u.dirty) {
      u.dirty = true;
      M.dirty.push(u);
    }
    if (M.flushScheduled) return;
    M.flushScheduled = true;
    setImmediate(() => {
      M.flushScheduled = false;
      for (const x of M.dirty) {
        x.dirty = false;
        x.conn.flush();
      }
      M.dirty.length = 0;
    });
  }

  function sendJoin(occ) {
    const u = M.users[occ.u];
    const room = M.rooms[occ.r];
    occ.joinSentAt = performance.now();
    u.conn.queue(`<presence to='${room.jid}/${u.user}'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
    scheduleFlush(u);
  }

  /** The creator has its self-presence: accept the default configuration (instant room). */
  function sendInstant(room) {
    const u = M.users[room.members[0]];
    room.configSentAt = performance.now();
    u.conn.queue(`<iq type='set' to='${room.jid}' id='cfg${room.r}'><query xmlns='${NS_MUC_OWNER}'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
    scheduleFlush(u);
  }

  /** The room is configured (or configuring failed): everyone else joins now. */
  function releaseRoom(room, now) {
    if (room.readyAt) return;
    room.readyAt = now;
    for (const ui of room.members.slice(1)) sendJoin(M.users[ui].occ.get(room.r));
  }

  function onElement(u, el) {
    const now = performance.now();
    M.lastElementAt = now;
    const c1 = el.charCodeAt(1);
    if (c1 === 109 /* m */ && el.startsWith('<message')) return onMessage(u, el, now);
    if (c1 === 112 /* p */ && el.startsWith('<presence')) return onPresence(u, el, now);
    if (el.startsWith('<iq')) return onIq(u, el, now);
    if (el.startsWith('<stream:error') || el === '</stream:stream>') {
      M.st.streamErrors++;
      return unexpected(el.slice(0, 120), el);
    }
    unexpected(`element ${el.slice(0, 30)}`, el);
  }

  /** Room index and nick of a from='room@service/nick' (null if not one of our rooms). */
  function roomOf(from) {
    if (!from) return null;
    const at = from.indexOf('@');
    if (at < 0) return null;
    const room = M.byName.get(from.slice(0, at));
    if (room === undefined) return null;
    const slash = from.indexOf('/', at);
    if (from.slice(at + 1, slash < 0 ? undefined : slash) !== M.mucDomain) return null;
    return { room, nick: slash < 0 ? null : from.slice(slash + 1) };
  }

  function onIq(u, el, now) {
    const gt = el.indexOf('>');
    const id = attrIn(el, gt, ' id=') ?? '';
    const type = attrIn(el, gt, ' type=');
    if (id.startsWith('cfg')) {
      const room = M.rooms[Number(id.slice(3))];
      if (!room) return unexpected('iq with an unknown cfg id', el);
      if (type === 'result') room.configuredAt = now;
      else {
        room.configError = errorCondition(el);
        example('instant room error', el);
      }
      return releaseRoom(room, now);
    }
    if (type === 'get' || type === 'set') {
      // answer what a server may ask (e.g. a ping): unsupported
      u.conn.send(
        `<iq type='error' id='${id}' to='${attrIn(el, gt, ' from=') ?? ''}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
      );
      return unexpected(`iq ${type} from the server`, el);
    }
    unexpected(`iq ${type} id ${id.slice(0, 10)}`, el);
  }

  function onPresence(u, el, now) {
    const gt = el.indexOf('>');
    const from = attrIn(el, gt, ' from=');
    const type = attrIn(el, gt, ' type=');
    const ro = roomOf(from);
    if (!ro) {
      // the user's own presence echo and the like
      if (from && from.startsWith(`${u.user}@`)) return;
      return unexpected(from ? 'presence from a non-room' : 'presence without from', el);
    }
    const occ = u.occ.get(ro.room.r);
    if (!occ) return unexpected('presence from a room the user is not in', el);
    if (type === 'error') {
      if (!occ.error) {
        occ.error = errorCondition(el);
        occ.doneAt = now;
        M.st.joinErrors[occ.error] = (M.st.joinErrors[occ.error] ?? 0) + 1;
        example(`join error ${occ.error}`, el);
      }
      return;
    }
    if (type === 'unavailable') return unexpected('unavailable presence from a room', el);
    if (type !== null) return unexpected(`room presence type=${type}`, el);
    if (ro.nick === u.user && hasCode(el, 110)) {
      if (occ.selfAt) return unexpected('second self-presence', el);
      occ.selfAt = now;
      occ.doneAt = now;
      example('self-presence', el);
      if (hasCode(el, 201)) occ.created = true;
      const room = ro.room;
      if (room.members[0] === u.i && M.mode === 'join') sendInstant(room);
      return;
    }
    if (ro.nick === null) {
      // ejabberd: the room's own presence with its entity caps (XEP-0115) after a join; allowed, not an occupant
      M.st.roomPresences++;
      return example('presence from the room itself', el);
    }
    if (ro.nick === u.user) return unexpected('own occupant presence without 110', el);
    if (occ.seen.has(ro.nick)) M.st.presenceDuplicates++;
    else occ.seen.add(ro.nick);
  }

  function onMessage(u, el, now) {
    const gt = el.indexOf('>');
    const type = attrIn(el, gt, ' type=');
    if (type === 'error') {
      M.st.bounced++;
      example('bounced message', el);
      const id = attrIn(el, gt, ' id=') ?? '';
      const m = /^g(\d+)-/.exec(id);
      const s = m ? M.senders[Number(m[1])] : undefined;
      if (s && M.users[s.u] === u) settle(s);
      return;
    }
    const from = attrIn(el, gt, ' from=');
    const ro = roomOf(from);
    if (!ro) return unexpected('message from a non-room', el);
    const occ = u.occ.get(ro.room.r);
    if (!occ) return unexpected('message from a room the user is not in', el);
    const b = el.indexOf('<body>', gt);
    if (b < 0) {
      if (el.includes('<subject')) M.st.subjects++;
      else unexpected('room message without a body', el);
      return;
    }
    if (type !== 'groupchat') return unexpected(`room message type=${type}`, el);
    // body: "<sid> <seq> <sent at>"
    const s0 = b + 6;
    const e = el.indexOf('</body>', s0);
    const sp = el.indexOf(' ', s0);
    const sp2 = el.indexOf(' ', sp + 1);
    if (sp < 0 || sp2 < 0 || sp2 > e) return unexpected('groupchat with a body not from the run', el);
    const sid = +el.slice(s0, sp);
    const seq = +el.slice(sp + 1, sp2);
    const sentAt = +el.slice(sp2 + 1, e);
    const sender = M.senders[sid];
    if (!sender || sender.r !== ro.room.r) return unexpected('groupchat from an unknown sender', el);
    if (ro.nick !== M.users[sender.u].user) M.st.wrongNick++;
    let f = occ.from.get(sid);
    if (!f) occ.from.set(sid, (f = { last: 0, gaps: null }));
    if (seq > f.last) {
      if (seq > f.last + 1) {
        f.gaps ??= new Set();
        for (let k = f.last + 1; k < seq; k++) f.gaps.add(k);
      }
      f.last = seq;
    } else if (f.gaps?.delete(seq)) M.st.outOfOrder++;
    else {
      M.st.duplicates++;
      return;
    }
    M.st.delivered++;
    if (now >= M.mStart && now <= M.mEnd) {
      M.st.deliveredInWindow++;
      M.lat.push(now - sentAt);
    }
    if (sender.u === u.i) {
      // its own reflected copy: the message is back
      if (now >= M.mStart && now <= M.mEnd) M.echoLat.push(now - sentAt);
      settle(sender);
    }
  }

  function settle(s) {
    s.inflight--;
    M.inflight--;
    if (M.sending) topUp(s);
  }

  function topUp(s) {
    const u = M.users[s.u];
    if (!M.sending || u.conn.closed) return;
    const room = M.rooms[s.r];
    while (s.inflight < M.window) {
      const seq = ++s.seq;
      const t = performance.now();
      s.inflight++;
      M.inflight++;
      M.st.sent++;
      M.st.expected += room.joined;
      if (t >= M.mStart && t <= M.mEnd) M.st.sentInWindow++;
      u.conn.queue(`<message to='${room.jid}' type='groupchat' id='g${s.sid}-${seq}'><body>${s.sid} ${seq} ${t.toFixed(3)}</body></message>`);
    }
    scheduleFlush(u);
  }

  async function waitQuiet(quietMs, maxMs) {
    const t0 = performance.now();
    while (performance.now() - M.lastElementAt < quietMs && performance.now() - t0 < maxMs) await sleep(20);
    return Math.round(performance.now() - t0);
  }

  return {
    /**
     * users: [{ user, port }]; rooms: [[user index, ...]] (the first one creates the room).
     * Logs every user in with initial presence (untimed).
     */
    async mucSetup({ users, rooms, mucDomain, prefix, concurrency = 20 }) {
      const o = opts({});
      M = {
        mucDomain,
        users: users.map((x, i) => ({ i, user: x.user, port: x.port, conn: null, occ: new Map(), dirty: false })),
        rooms: rooms.map((members, r) => {
          const name = `${prefix}room${r + 1}`;
          return { r, name, jid: `${name}@${mucDomain}`, members, joined: 0, readyAt: 0, configuredAt: 0, configSentAt: 0, configError: null };
        }),
        byName: new Map(),
        senders: [],
        mode: 'setup',
        dirty: [],
        flushScheduled: false,
        lastElementAt: performance.now(),
        unexpected: {},
        examples: {},
        st: { streamErrors: 0, closed: 0, joinErrors: {}, presenceDuplicates: 0, subjects: 0, roomPresences: 0 },
        window: 1,
        sending: false,
        inflight: 0,
        mStart: 0,
        mEnd: 0,
        lat: null,
        echoLat: null,
      };
      for (const room of M.rooms) {
        M.byName.set(room.name, room);
        for (const ui of room.members)
          M.users[ui].occ.set(room.r, { r: room.r, u: ui, joinSentAt: 0, selfAt: 0, doneAt: 0, error: null, created: false, seen: new Set(), from: new Map() });
      }
      const errors = {};
      let failed = 0;
      const t0 = performance.now();
      await pool(M.users, concurrency, async (u) => {
        try {
          const r = await login({ ...o, port: u.port, user: u.user, cache, presence: true });
          u.conn = r.conn;
          u.jid = r.jid;
          u.conn.onClose = () => M.st.closed++;
          u.conn.onElement = (el) => onElement(u, el);
          for (const el of u.conn.items.splice(0)) onElement(u, el);
        } catch (err) {
          failed++;
          countError(errors, err);
        }
      });
      return { online: M.users.filter((u) => u.conn).length, failed, errors, seconds: (performance.now() - t0) / 1000 };
    },

    /**
     * The join storm: every room's creator joins at once, accepts the instant
     * room on its self-presence, then the room's other occupants join at once.
     * Ends when every occupant has its self-presence (110) or an error, or
     * after timeoutMs; then waits for the occupant presences to settle.
     */
    async mucJoin({ timeoutMs = 60000, quietMs = 500 }) {
      M.mode = 'join';
      const occs = M.users.flatMap((u) => (u.conn ? [...u.occ.values()] : []));
      const t0 = performance.now();
      for (const room of M.rooms) {
        const creator = M.users[room.members[0]];
        if (creator.conn) sendJoin(creator.occ.get(room.r));
        else releaseRoom(room, t0); // nobody to create it: the others try anyway
      }
      const deadline = t0 + timeoutMs;
      while (performance.now() < deadline && occs.some((o) => !o.doneAt)) await sleep(10);
      const joined = occs.filter((o) => o.selfAt);
      const tEnd = joined.length ? Math.max(...joined.map((o) => o.selfAt)) : null;
      const quiet = await waitQuiet(quietMs, 10000);
      M.mode = 'idle';
      for (const room of M.rooms) room.joined = room.members.filter((ui) => M.users[ui].occ.get(room.r).selfAt).length;
      // each joined occupant should have seen every other joined occupant's presence
      let missing = 0;
      for (const o of joined) missing += M.rooms[o.r].joined - 1 - o.seen.size;
      const creators = M.rooms.map((room) => M.users[room.members[0]].occ.get(room.r));
      return {
        occupants: occs.length,
        joined: joined.length,
        errors: M.st.joinErrors,
        timedOut: occs.filter((o) => !o.doneAt).length,
        stormMs: tEnd === null ? null : tEnd - t0,
        allJoined: joined.length === occs.length,
        joinLatencies: Float64Array.from(joined.map((o) => o.selfAt - o.joinSentAt)),
        // creator's join sent → the room configured (instant room result): when the others may join
        roomReadyLatencies: Float64Array.from(M.rooms.filter((r) => r.configuredAt).map((r) => r.configuredAt - t0)),
        // per room (for --json): ms from the storm's start until it was configured, and until its last occupant joined
        byRoom: M.rooms.map((room) => ({
          room: room.name,
          readyMs: room.configuredAt ? Math.round(room.configuredAt - t0) : null,
          allJoinedMs: room.joined === room.members.length ? Math.round(Math.max(...room.members.map((ui) => M.users[ui].occ.get(room.r).selfAt)) - t0) : null,
        })),
        configErrors: M.rooms.filter((r) => r.configError).length,
        configErrorKinds: [...new Set(M.rooms.map((r) => r.configError).filter(Boolean))],
        created201: creators.filter((o) => o.created).length,
        presencesMissing: missing,
        presenceDuplicates: M.st.presenceDuplicates,
        subjects: M.st.subjects,
        roomPresences: M.st.roomPresences,
        quietMs: quiet,
        unexpected: { ...M.unexpected },
        examples: { ...M.examples },
      };
    },

    /**
     * Throughput: roomSenders occupants of each room send groupchat messages,
     * each with `window` in flight (one is back when its reflected copy
     * arrives), for warmupMs+durationMs; then a drain of up to drainMs.
     * Every occupant counts each sender's sequence numbers.
     */
    async mucRun({ roomSenders = 1, window = 5, warmupMs, durationMs, drainMs }) {
      M.senders = [];
      // Room r's senders are its occupants r, r+1, ... (mod O), not its creator: with users
      // alternating edges, the senders of neighbouring rooms sit on different edges.
      for (const room of M.rooms) {
        const O = room.members.length;
        let k = 0;
        for (let j = 0; j < O && k < roomSenders; j++) {
          const ui = room.members[(room.r + j) % O];
          if (!M.users[ui].occ.get(room.r).selfAt) continue;
          M.senders.push({ sid: M.senders.length, u: ui, r: room.r, seq: 0, inflight: 0 });
          k++;
        }
      }
      Object.assign(M.st, {
        sent: 0,
        sentInWindow: 0,
        expected: 0,
        delivered: 0,
        deliveredInWindow: 0,
        outOfOrder: 0,
        duplicates: 0,
        bounced: 0,
        wrongNick: 0,
      });
      M.unexpected = {};
      M.window = window;
      M.inflight = 0;
      const now0 = performance.now();
      M.mStart = now0 + warmupMs;
      M.mEnd = M.mStart + durationMs;
      M.lat = new Samples();
      M.echoLat = new Samples();
      M.mode = 'run';
      M.sending = true;
      for (const s of M.senders) topUp(s);
      let elu0;
      const t1 = setTimeout(() => (elu0 = performance.eventLoopUtilization()), warmupMs);
      await sleep(warmupMs + durationMs);
      clearTimeout(t1);
      const elu = performance.eventLoopUtilization(elu0);
      M.sending = false;
      const stopAt = performance.now();
      const end = stopAt + drainMs;
      while (performance.now() < end && (M.inflight > 0 || M.st.delivered < M.st.expected)) await sleep(10);
      const drainedMs = performance.now() - stopAt;
      // missing: for every joined occupant and every sender of its room, the sequence numbers never received
      let missing = 0;
      const bySender = new Map();
      for (const s of M.senders) {
        const room = M.rooms[s.r];
        for (const ui of room.members) {
          const occ = M.users[ui].occ.get(room.r);
          if (!occ.selfAt) continue;
          const f = occ.from.get(s.sid);
          const m = s.seq - (f?.last ?? 0) + (f?.gaps?.size ?? 0);
          missing += m;
          if (m) bySender.set(s.sid, (bySender.get(s.sid) ?? 0) + m);
        }
      }
      M.mode = 'idle';
      return {
        senders: M.senders.length,
        sent: M.st.sent,
        sentInWindow: M.st.sentInWindow,
        expected: M.st.expected,
        delivered: M.st.delivered,
        deliveredInWindow: M.st.deliveredInWindow,
        missing,
        sendersWithMissing: bySender.size,
        outOfOrder: M.st.outOfOrder,
        duplicates: M.st.duplicates,
        bounced: M.st.bounced,
        wrongNick: M.st.wrongNick,
        inflightAfterDrain: M.inflight,
        drainedMs,
        latencies: M.lat.take(),
        echoLatencies: M.echoLat.take(),
        streamErrors: M.st.streamErrors,
        closed: M.st.closed,
        unexpected: M.unexpected,
        examples: M.examples,
        elu: elu.utilization,
      };
    },

    mucClose() {
      for (const u of M?.users ?? []) {
        if (!u.conn) continue;
        u.conn.onClose = null;
        u.conn.close();
      }
      M = null;
      return true;
    },
  };
}
