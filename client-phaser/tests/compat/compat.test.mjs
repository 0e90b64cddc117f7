// Compatibility of the real socket.io-client 4.8 + socket.io-msgpack-parser with a real Tickstate
// server, decoded with the client's own codec. Needs the server binary: TICKSTATE_BIN=/path/to/tickstate.
//
//   TICKSTATE_BIN=../target/debug/tickstate npm run test:compat
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import * as parser from "socket.io-msgpack-parser";
import { loadClientModules } from "../support/client-modules.mjs";
import { record } from "../support/recorder.mjs";
import { startServer } from "../support/server.mjs";

/** @type {Awaited<ReturnType<typeof loadClientModules>>} */
let client;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;

/** What the SDK decodes a snapshot with: the welcome's schema and world. */
const ctx = (w) => ({ schema: w.schema, world: w.world });

/** The code of a `connect_error` (the part before the first `:`). */
const code = (err) => client.parseRefusal(err.message).code;
const sockets = new Set();

/** A connected socket that records every event it gets. */
/** Auth as the SDK sends it: `protocol: 2` unless the test states its own (or `protocol: undefined`). */
function withProtocol(auth) {
  if ("protocol" in auth) {
    const { protocol, ...rest } = auth;
    return protocol === undefined ? rest : auth;
  }
  return { protocol: 2, ...auth };
}

function open(auth = {}, transport = { transports: ["websocket"] }) {
  const socket = io(server.url, { ...transport, parser, auth: withProtocol(auth), reconnection: false, forceNew: true });
  sockets.add(socket);
  const { log, waitFor } = record(socket);
  const connectError = new Promise((resolve) => socket.once("connect_error", resolve));
  return { socket, log, waitFor, connectError };
}

async function welcomed(auth, transport) {
  const c = open(auth, transport);
  const [raw] = await c.waitFor("welcome");
  const welcome = client.decodeWelcome(raw);
  return { ...c, welcome };
}

/** Decoded snapshots received after index `from` of the log. */
function snapshots(c, from = 0) {
  return c.log
    .slice(from)
    .filter((e) => e.event === "snapshot")
    .map((e) => ({ ...client.decodeSnapshot(e.args[0], ctx(c.welcome)), at: e.at }));
}

function own(snap, id) {
  return snap.entities.find((e) => e.id === id);
}

/**
 * Steps (dy per input, count) that bring a ship at `pos` to a spot from which `steps` inputs of
 * dx = 1 move it freely to the right: spawn points are random and may sit against a wall.
 */
function laneToTheRight(w, pos, steps) {
  const free = (p) => {
    let q = p;
    for (let i = 0; i < steps; i++) q = client.step(q, 1, 0, w.world, w.movement);
    return q.x - p.x > steps * w.movement.max_speed * w.movement.dt * 0.99;
  };
  for (let k = 0; k < 200; k++) {
    for (const dy of [-1, 1]) {
      let p = pos;
      for (let i = 0; i < k; i++) p = client.step(p, 0, dy, w.world, w.movement);
      if (free(p)) return { dy, count: k };
    }
  }
  throw new Error(`no free lane to the right from ${JSON.stringify(pos)}`);
}

/** Sends inputs at tick rate for `ms`; returns the last seq. */
async function drive(c, ms, dx, dy, firstSeq = 1, maxInputs = Infinity) {
  let seq = firstSeq - 1;
  const every = 1000 / c.welcome.tick_rate;
  const start = performance.now();
  let next = start;
  while (performance.now() - start < ms && seq - firstSeq + 1 < maxInputs) {
    seq++;
    c.socket.emit("input", client.encodeInput(seq, dx, dy, 0));
    next += every;
    await sleep(Math.max(0, next - performance.now()));
  }
  return seq;
}

before(async () => {
  client = await loadClientModules();
  server = await startServer();
});

after(async () => {
  for (const s of sockets) s.disconnect();
  if (server) await server.stop();
});

describe("tickstate server compatibility", () => {
  it("welcome carries the PROTOCOL.md fields", async () => {
    const c = await welcomed({ name: "Ada" });
    const raw = c.log.find((e) => e.event === "welcome").args[0];
    for (const key of ["protocol", "game", "id", "room", "token", "tick_rate", "snapshot_rate", "tick", "world", "movement", "schema", "players"]) {
      assert.ok(key in raw, `welcome should have ${key}`);
    }
    const w = c.welcome;
    assert.equal(w.protocol, 2);
    assert.equal(w.game, client.GAME);
    assert.deepEqual(client.schemaDifferences(client.SCHEMA, w.schema), [], "the server's schema is the generated one");
    assert.deepEqual(w.schema, client.SCHEMA, "welcome.schema equals the generated schema file");
    assert.equal(w.room, "main");
    assert.match(w.token, /^[0-9a-f]{32}$/);
    assert.ok(w.id >= 0 && w.id <= 0xffff);
    assert.ok(w.tick_rate > 0 && w.snapshot_rate > 0 && w.snapshot_rate <= w.tick_rate);
    assert.ok(w.world.width > 0 && w.world.height > 0);
    assert.ok(Array.isArray(w.world.walls));
    for (const wall of w.world.walls) assert.equal(wall.length, 4);
    assert.ok(w.movement.max_speed > 0 && w.movement.radius > 0);
    assert.equal(w.movement.dt, Math.fround(1 / w.tick_rate), "dt should be the f32 of 1 / tick_rate");
    assert.deepEqual(
      w.players.find((p) => p.id === w.id),
      { id: w.id, name: "Ada" },
      "welcome.players should include me",
    );
    assert.equal(c.log[0].event, "welcome", "welcome should be the first event");
    c.socket.disconnect();
  });

  it("names are cleaned: control characters removed, cut to 24 characters", async () => {
    const a = await welcomed({ name: "A\u0000b\u0007c" + "x".repeat(40) });
    const mine = a.welcome.players.find((p) => p.id === a.welcome.id).name;
    assert.equal(mine, ("Abc" + "x".repeat(40)).slice(0, 24));
    a.socket.disconnect();
  });

  it(
    "an absent name gives `Player <id>` with the network id",
    async () => {
      const b = await welcomed({});
      const name = b.welcome.players.find((p) => p.id === b.welcome.id).name;
      b.socket.disconnect();
      assert.match(name, /^Player \d+$/);
      assert.equal(name, `Player ${b.welcome.id}`);
    },
  );

  it("sends binary snapshots at about snapshot_rate, with strictly increasing ticks", async () => {
    const c = await welcomed({ name: "Rate" });
    await sleep(300); // settle
    const from = c.log.length;
    await sleep(2000);
    const raw = c.log.slice(from).filter((e) => e.event === "snapshot");
    for (const e of raw) {
      assert.ok(e.args[0] instanceof Uint8Array, "snapshot payload should be binary (Buffer)");
    }
    const expected = c.welcome.snapshot_rate * 2;
    assert.ok(
      Math.abs(raw.length - expected) <= expected * 0.15,
      `expected ${expected} ± 15% snapshots in 2 s, got ${raw.length}`,
    );
    const snaps = snapshots(c, from);
    for (let i = 1; i < snaps.length; i++) assert.ok(snaps[i].tick > snaps[i - 1].tick, "ticks should strictly increase");
    const ticksPerSnapshot = (snaps.at(-1).tick - snaps[0].tick) / (snaps.length - 1);
    assert.ok(
      Math.abs(ticksPerSnapshot - c.welcome.tick_rate / c.welcome.snapshot_rate) < 0.5,
      `ticks between snapshots should be tick_rate / snapshot_rate, got ${ticksPerSnapshot}`,
    );
    assert.ok(own(snaps.at(-1), c.welcome.id), "my entity should be in snapshots");
    assert.equal(snaps.at(-1).ack, 0, "ack should be 0 before any input");
    c.socket.disconnect();
  });

  it("answers ping with the same value", async () => {
    const c = await welcomed({ name: "Ping" });
    const t = performance.now();
    const echo = await c.socket.timeout(2000).emitWithAck("ping", t);
    assert.equal(echo, t);
    c.socket.disconnect();
  });

  it("inputs move my entity right, no faster than max_speed, inside the world, as the client predicts", async () => {
    const a = await welcomed({ name: "Mover" });
    const b = await welcomed({ name: "Watcher" });
    const [joined] = await a.waitFor("joined", (j) => j.id === b.welcome.id);
    assert.deepEqual(joined, { id: b.welcome.id, name: "Watcher" });

    const [spawnBin] = await a.waitFor("snapshot");
    const spawn = own(client.decodeSnapshot(spawnBin, ctx(a.welcome)), a.welcome.id);
    const lane = laneToTheRight(a.welcome, spawn, 60);
    let seq = 0;
    if (lane.count > 0) {
      seq = await drive(a, 10_000, 0, lane.dy, 1, lane.count);
      await a.waitFor("snapshot", (bin) => client.decodeSnapshot(bin, ctx(a.welcome)).ack === seq, 3000);
    }
    const startIdx = a.log.length;
    const bStartIdx = b.log.length;
    // All 60 inputs, however long a busy machine takes to send them (the time cap is only a guard).
    const lastSeq = await drive(a, 10_000, 1, 0, seq + 1, 60);
    await a.waitFor("snapshot", (bin) => client.decodeSnapshot(bin, ctx(a.welcome)).ack === lastSeq, 3000);

    const { world, movement, tick_rate } = a.welcome;
    const r = movement.radius;
    const snaps = snapshots(a, startIdx).filter((s) => own(s, a.welcome.id));
    assert.ok(snaps.length > 10, "should see my entity in snapshots");
    const first = own(snaps[0], a.welcome.id);
    const last = own(snaps.at(-1), a.welcome.id);
    assert.ok(last.x > first.x + 10, `should move right: ${first.x} -> ${last.x}`);
    assert.ok(Math.abs(last.y - first.y) < 0.05, "dx=1, dy=0 should not move along y");
    const quantStep = world.width / 65535;
    assert.ok(last.x - first.x > 60 * movement.max_speed * movement.dt * 0.8, `60 inputs should move ~60 steps: ${last.x - first.x}`);
    for (let i = 1; i < snaps.length; i++) {
      const p = own(snaps[i - 1], a.welcome.id);
      const q = own(snaps[i], a.welcome.id);
      const ticks = snaps[i].tick - snaps[i - 1].tick;
      const appliedInputs = snaps[i].ack - snaps[i - 1].ack;
      assert.ok(appliedInputs <= 3 * ticks, `at most 3 inputs per tick (${appliedInputs} in ${ticks} ticks)`);
      const maxMove = movement.max_speed * movement.dt * appliedInputs + 2 * quantStep;
      assert.ok(q.x - p.x <= maxMove, `moved ${q.x - p.x} with ${appliedInputs} inputs, max ${maxMove}`);
      assert.ok(q.x - p.x <= (movement.max_speed * ticks * 3) / tick_rate + 2 * quantStep);
    }
    for (const s of snapshots(a, startIdx)) {
      for (const e of s.entities) {
        assert.ok(e.x >= 0 && e.x <= world.width && e.y >= 0 && e.y <= world.height, "entities inside the world");
      }
      const me = own(s, a.welcome.id);
      if (me) {
        assert.ok(me.x >= r - quantStep && me.x <= world.width - r + quantStep, `my x ${me.x} within [r, width - r]`);
        assert.ok(me.y >= r - quantStep && me.y <= world.height - r + quantStep);
      }
    }
    // Prediction parity: the client's step applied to each acknowledged input lands where the server says.
    let predicted = { x: first.x, y: first.y };
    let ackAt = snaps[0].ack;
    for (const s of snaps.slice(1)) {
      for (let seq = ackAt + 1; seq <= s.ack; seq++) predicted = client.step(predicted, 1, 0, world, movement);
      ackAt = s.ack;
      const me = own(s, a.welcome.id);
      assert.ok(
        Math.abs(me.x - predicted.x) < 0.05 && Math.abs(me.y - predicted.y) < 0.05,
        `predicted (${predicted.x}, ${predicted.y}) vs server (${me.x}, ${me.y}) at ack ${s.ack}`,
      );
      predicted = client.depenetrate({ x: me.x, y: me.y }, world, r);
    }

    // The other client sees it move right too.
    const seenByB = snapshots(b, bStartIdx)
      .map((s) => own(s, a.welcome.id))
      .filter(Boolean);
    assert.ok(seenByB.length > 10, "B should see A's entity");
    assert.ok(seenByB.at(-1).x > seenByB[0].x + 10, "B should see A move right");
    assert.ok(
      snapshots(b, bStartIdx).every((s) => s.ack === 0),
      "B's snapshots should carry B's own ack (0: B sent no input), not A's",
    );

    // A leaves: B gets `left` and A's entity is gone from B's later snapshots.
    a.socket.disconnect();
    const [left] = await b.waitFor("left", (l) => l.id === a.welcome.id);
    assert.deepEqual(client.decodeLeft(left), { id: a.welcome.id, reason: "disconnect" });
    const afterLeft = b.log.length;
    await b.waitFor("snapshot", () => b.log.length > afterLeft + 1);
    await sleep(200);
    const later = snapshots(b, afterLeft);
    assert.ok(later.length > 0);
    for (const s of later) assert.equal(own(s, a.welcome.id), undefined, "A's entity should be gone");
    b.socket.disconnect();
  });

  it("a burst of inputs is applied at most 3 per tick; the newest always ends up applied", async () => {
    // 25 at once: within the server's input burst allowance (tick_rate / 2, see the report on rates).
    const c = await welcomed({ name: "Burst" });
    const [bin0] = await c.waitFor("snapshot");
    const start = own(client.decodeSnapshot(bin0, ctx(c.welcome)), c.welcome.id);
    const from = c.log.length;
    for (let seq = 1; seq <= 25; seq++) c.socket.emit("input", client.encodeInput(seq, 0, seq % 2 ? 1 : -1, 0));
    await c.waitFor("snapshot", (bin) => client.decodeSnapshot(bin, ctx(c.welcome)).ack === 25, 3000);
    const snaps = snapshots(c, from);
    for (let i = 1; i < snaps.length; i++) {
      const applied = snaps[i].ack - snaps[i - 1].ack;
      assert.ok(applied <= 3 * (snaps[i].tick - snaps[i - 1].tick), `${applied} inputs in ${snaps[i].tick - snaps[i - 1].tick} ticks`);
    }
    // Alternating up/down: wherever the burst was cut (buffer_full), the ship ends within a step or two.
    const end = own(snaps.at(-1), c.welcome.id);
    const stepLen = c.welcome.movement.max_speed * c.welcome.movement.dt;
    assert.ok(Math.abs(end.y - start.y) <= 2 * stepLen + 0.05, `moved ${end.y - start.y} in y`);
    c.socket.disconnect();
  });

  it("a replayed (old) seq is dropped: no movement, ack does not go back", async () => {
    const c = await welcomed({ name: "Replay" });
    for (let seq = 1; seq <= 10; seq++) c.socket.emit("input", client.encodeInput(seq, 0, 0, 0));
    await c.waitFor("snapshot", (bin) => client.decodeSnapshot(bin, ctx(c.welcome)).ack === 10, 3000);
    const from = c.log.length;
    const before = own(snapshots(c).at(-1), c.welcome.id);
    for (let seq = 3; seq <= 8; seq++) c.socket.emit("input", client.encodeInput(seq, 1, 1, 0));
    await sleep(300);
    for (const s of snapshots(c, from)) {
      assert.equal(s.ack, 10);
      const me = own(s, c.welcome.id);
      assert.deepEqual([me.x, me.y], [before.x, before.y], "replayed inputs should not move the ship");
    }
    c.socket.disconnect();
  });

  it("a non-finite direction does not move the ship", async () => {
    const c = await welcomed({ name: "NaN" });
    await c.waitFor("snapshot");
    const before = own(snapshots(c).at(-1), c.welcome.id);
    c.socket.emit("input", [1, Number.NaN, 0, 0]);
    c.socket.emit("input", [2, Number.POSITIVE_INFINITY, 0, 0]);
    await sleep(300);
    const last = snapshots(c).at(-1);
    const me = own(last, c.welcome.id);
    assert.deepEqual([me.x, me.y], [before.x, before.y]);
    // PROTOCOL.md does not say whether a rejected input counts as applied for `ack`.
    assert.ok(last.ack === 0 || last.ack === 2, `ack after two rejected inputs: ${last.ack}`);
    c.socket.disconnect();
  });

  it("rooms are separate worlds", async () => {
    const main = await welcomed({ name: "InMain" });
    const other = await welcomed({ name: "InAlpha", room: "alpha-1" });
    assert.equal(other.welcome.room, "alpha-1");
    assert.deepEqual(other.welcome.players.map((p) => p.name), ["InAlpha"]);
    await other.waitFor("snapshot");
    await sleep(200);
    const ships = snapshots(other)
      .at(-1)
      .entities.filter((e) => e.kind !== 3);
    assert.deepEqual(ships.map((e) => e.id), [other.welcome.id], "only my ship in room alpha-1");
    main.socket.disconnect();
    other.socket.disconnect();
  });

  it("Star Collector sends scores (data, tick) on join and has ships (kind 1/2) and stars (kind 3)", async () => {
    const c = await welcomed({ name: "Scorer" });
    const [scores, tick] = await c.waitFor("scores");
    assert.deepEqual(Object.keys(client.decodeScores(scores)).sort(), ["blue", "red"]);
    assert.ok(Number.isInteger(tick) && tick >= 0, `a game event carries the server tick: ${tick}`);
    const [bin] = await c.waitFor("snapshot");
    const snap = client.decodeSnapshot(bin, ctx(c.welcome));
    assert.ok([1, 2].includes(own(snap, c.welcome.id).kind), "my ship should be red (1) or blue (2)");
    assert.ok(snap.entities.some((e) => e.kind === 3), "there should be stars");
    c.socket.disconnect();
  });

  it("refuses a client that states no protocol, or protocol 1, with protocol_mismatch", async () => {
    for (const [auth, stated] of [
      [{ name: "Old", protocol: undefined }, "none"],
      [{ name: "Old", protocol: 1 }, "1"],
    ]) {
      const c = open(auth);
      const err = await c.connectError;
      assert.equal(code(err), "protocol_mismatch", err.message);
      assert.match(err.message, /protocol 2/, "the detail names the server's version");
      assert.ok(err.message.includes(stated), `the detail names the stated version (${stated}): ${err.message}`);
      assert.equal(c.log.length, 0, "no event before the refusal");
      c.socket.disconnect();
    }
  });

  it("input fields after [seq, dx, dy, buttons] are ignored by a game that declares none", async () => {
    const c = await welcomed({ name: "Extra" });
    await c.waitFor("snapshot");
    const before = await (await fetch(`${server.adminUrl}/stats`)).json();
    for (let seq = 1; seq <= 5; seq++) c.socket.emit("input", [...client.encodeInput(seq, 0, 0, 0, {}, c.welcome.schema.input), 123, true]);
    await c.waitFor("snapshot", (bin) => client.decodeSnapshot(bin, ctx(c.welcome)).ack === 5, 3000);
    const after = await (await fetch(`${server.adminUrl}/stats`)).json();
    assert.equal(after.inputs.rejected - before.inputs.rejected, 0);
    c.socket.disconnect();
  });

  it("refuses a bad room name with connect_error invalid_room", async () => {
    const c = open({ name: "X", room: "no spaces!" });
    const err = await c.connectError;
    assert.equal(code(err), "invalid_room");
    c.socket.disconnect();
  });

  it("a stock client with default transports starts on long-polling, plays, and upgrades to WebSocket", async () => {
    const c = await welcomed({ name: "Stock" }, {});
    const engine = c.socket.io.engine;
    // The upgrade happens after the handshake; wait for it unless it already did.
    if (engine.transport.name !== "websocket") {
      await new Promise((resolve, reject) => {
        engine.once("upgrade", resolve);
        setTimeout(() => reject(new Error(`still on ${engine.transport.name} after 5 s`)), 5000);
      });
    }
    assert.equal(engine.transport.name, "websocket");
    for (let seq = 1; seq <= 3; seq++) c.socket.emit("input", client.encodeInput(seq, 1, 0, 0));
    const [bin] = await c.waitFor("snapshot", (b) => client.decodeSnapshot(b, ctx(c.welcome)).ack === 3, 3000);
    assert.ok(own(client.decodeSnapshot(bin, ctx(c.welcome)), c.welcome.id), "own ship in the snapshot");
    c.socket.disconnect();
  });

  it("a client that stays on long-polling (upgrade: false) gets snapshots and its inputs are acked", async () => {
    const c = await welcomed({ name: "Poller" }, { transports: ["polling"], upgrade: false });
    assert.equal(c.socket.io.engine.transport.name, "polling");
    const first = snapshots(c).length;
    for (let seq = 1; seq <= 5; seq++) c.socket.emit("input", client.encodeInput(seq, 0, 1, 0));
    await c.waitFor("snapshot", (b) => client.decodeSnapshot(b, ctx(c.welcome)).ack === 5, 3000);
    assert.ok(snapshots(c).length > first, "snapshots keep coming over polling");
    c.socket.disconnect();
  });

  it("a ship that reaches a star scores for its team, and every player in the room gets the scores", async () => {
    const a = await welcomed({ name: "Collector", room: "stars" });
    const b = await welcomed({ name: "Watcher", room: "stars" });
    await a.waitFor("snapshot");
    const w = a.welcome;
    const every = 1000 / w.tick_rate;
    let seq = 0;
    const history = [];
    let lastTick = -1;
    let stuck = 0;
    const scored = () => b.log.some((e) => e.event === "scores" && client.decodeScores(e.args[0]).red + client.decodeScores(e.args[0]).blue > 0);
    const deadline = performance.now() + 30000;
    // Steer at the nearest star; slide sideways for a while whenever a wall stops progress.
    while (!scored() && performance.now() < deadline) {
      const snaps = snapshots(a, Math.max(0, a.log.length - 40));
      const snap = snaps[snaps.length - 1];
      const me = snap && own(snap, w.id);
      if (me) {
        const stars = snap.entities.filter((e) => (e.kind & 0x7f) === 3);
        const star = stars.reduce((best, s) => (!best || Math.hypot(s.x - me.x, s.y - me.y) < Math.hypot(best.x - me.x, best.y - me.y) ? s : best), null);
        let dx = star.x - me.x;
        let dy = star.y - me.y;
        const len = Math.hypot(dx, dy) || 1;
        dx /= len;
        dy /= len;
        if (snap.tick !== lastTick) {
          lastTick = snap.tick;
          history.push(me);
          // Blocked by a wall: less than 5 units in the last 10 snapshots. Slide sideways a while.
          const back = history[history.length - 11];
          if (stuck === 0 && back && Math.hypot(me.x - back.x, me.y - back.y) < 5) stuck = 60;
        }
        if (stuck > 0) {
          stuck--;
          [dx, dy] = [-dy, dx];
        }
        seq++;
        a.socket.emit("input", client.encodeInput(seq, dx, dy, 0));
      }
      await sleep(every);
    }
    assert.ok(scored(), "the collector should reach a star within 30 s");
    const [raw] = await a.waitFor("scores", (s) => client.decodeScores(s).red + client.decodeScores(s).blue > 0);
    const scores = client.decodeScores(raw);
    assert.equal(scores.red + scores.blue, 1, `one star, one point: ${JSON.stringify(scores)}`);
    // The collector is alone on its team's side: its own team got the point.
    const myKind = own(snapshots(a).at(-1), w.id).kind & 0x7f;
    assert.equal(myKind === 1 ? scores.red : scores.blue, 1, "the point goes to the collector's team");
    a.socket.disconnect();
    b.socket.disconnect();
  });

  it("says bye (shutdown) on SIGTERM and exits 0", async () => {
    const c = await welcomed({ name: "Last" });
    const byeP = c.waitFor("bye", () => true, 5000);
    const exit = server.stop();
    const [bye] = await byeP.catch((e) => {
      const seen = c.log.filter((x) => x.event !== "snapshot").map((x) => x.event);
      throw new Error(`${e.message}; events: ${seen}; connected: ${c.socket.connected}; stderr:\n${server.stderr().slice(-4000)}`);
    });
    assert.equal(client.decodeBye(bye).reason, "shutdown");
    assert.deepEqual(await exit, { code: 0, signal: null }, `server should exit 0; stderr:\n${server.stderr()}`);
    server = null;
  });
});

describe("the SDK's own Connection and GameSession against the real server", () => {
  it("welcome, typed scores event with its tick, snapshots, inputs acknowledged, clean close", async () => {
    const s2 = await startServer();
    try {
      const conn = new client.Connection({ url: s2.url, name: "Sdk", room: "sdk-1", events: { scores: client.decodeScores }, pingIntervalMs: 200 });
      const scores = [];
      const errors = [];
      let session = null;
      conn.onEvent("scores", (data, tick) => scores.push([data, tick]));
      conn.on("protocolError", (e) => errors.push(e.message));
      conn.on("welcome", (w) => {
        session = new client.GameSession(w, (msg) => conn.sendInput(msg), { staticKinds: [client.Kinds.star] });
      });
      conn.on("snapshot", (snap, at) => session?.onSnapshot(snap, at));
      conn.connect();
      const until = async (cond, what, ms = 5000) => {
        const end = performance.now() + ms;
        while (!cond()) {
          if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
          await sleep(10);
        }
      };
      await until(() => conn.status.state === "connected" && session !== null, "welcome");
      await until(() => scores.length > 0, "scores");
      assert.deepEqual(Object.keys(scores[0][0]).sort(), ["blue", "red"]);
      assert.ok(Number.isInteger(scores[0][1]));
      await until(() => session.frame(performance.now()).entities.has(session.id), "my entity");
      // Drive inputs at tick rate for a while (the session's own fixed step decides how many).
      const end = performance.now() + 600;
      while (performance.now() < end) {
        session.tick(performance.now(), () => ({ dx: 0, dy: 1, buttons: 0 }));
        await sleep(5);
      }
      const sent = session.lastSeq;
      assert.ok(sent > 10, `inputs sent: ${sent}`);
      await until(() => session.frame(performance.now()).ack === sent, `ack ${sent}`);
      await until(() => conn.rtt !== null, "an RTT");
      assert.deepEqual(errors, []);
      conn.close();
      assert.equal(conn.status.state, "disconnected");
    } finally {
      await s2.stop();
    }
  });
});
