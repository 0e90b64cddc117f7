// Sessions and rooms against a real Tickstate server (PROTOCOL.md "Sessions and reconnecting",
// "GET /rooms"), with the real socket.io-client + socket.io-msgpack-parser and the client's codec.
// Needs the server binary: TICKSTATE_BIN=/path/to/tickstate.
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
/** A second server whose seats are held only 300 ms. */
let shortHold;
const sockets = new Set();

/** A socket (no automatic reconnection) that records every event it gets. */
/** Auth as the SDK sends it: `protocol: 2` unless the test states its own (or `protocol: undefined`). */
function withProtocol(auth) {
  if ("protocol" in auth) {
    const { protocol, ...rest } = auth;
    return protocol === undefined ? rest : auth;
  }
  return { protocol: 2, ...auth };
}

function open(url, auth = {}) {
  const socket = io(url, { transports: ["websocket"], parser, auth: withProtocol(auth), reconnection: false, forceNew: true });
  sockets.add(socket);
  const { log, waitFor } = record(socket);
  const connectError = new Promise((resolve) => socket.once("connect_error", resolve));
  const disconnected = new Promise((resolve) => socket.once("disconnect", resolve));
  const c = { socket, log, waitFor, connectError, disconnected, welcome: null };
  c.snapshot = (pred = () => true, ms = 5000) =>
    c.waitFor("snapshot", (bin) => pred(client.decodeSnapshot(bin, ctx(c.welcome))), ms).then(([bin]) =>
      client.decodeSnapshot(bin, ctx(c.welcome)),
    );
  return c;
}

async function welcomed(url, auth) {
  const c = open(url, auth);
  const [raw] = await c.waitFor("welcome");
  c.welcome = client.decodeWelcome(raw);
  return c;
}

/** Drops the connection the way a network loss does: the TCP socket goes away, no goodbye. */
function dropTransport(c) {
  const ws = c.socket.io.engine.transport.ws;
  assert.ok(ws && ws._socket, "socket.io-client in Node should use the ws package's WebSocket");
  ws._socket.destroy();
}

/** Input accounting from `/stats` on the server's operator port. */
async function stats(adminUrl) {
  const res = await fetch(`${adminUrl}/stats`);
  assert.equal(res.status, 200);
  return (await res.json()).inputs;
}

before(async () => {
  client = await loadClientModules();
  server = await startServer();
  shortHold = await startServer(["--session-hold-ms", "300"]);
});

after(async () => {
  for (const s of sockets) s.disconnect();
  if (server) await server.stop();
  if (shortHold) await shortHold.stop();
});

describe("sessions: resume with the token", () => {
  it("a dropped client comes back with the same id; unacknowledged inputs are resent and each applied exactly once", async () => {
    const a = await welcomed(server.url, { name: "Dropper", room: "resume-1" });
    const b = await welcomed(server.url, { name: "Watcher", room: "resume-1" });
    const spawnSnap = await a.snapshot((s) => s.entities.some((e) => e.id === a.welcome.id));
    const spawn = spawnSnap.entities.find((e) => e.id === a.welcome.id);
    const before = await stats(server.adminUrl);

    // The client's own log of everything it emitted, and the input for each seq.
    const sentLog = [];
    const inputs = new Map();
    const send = (c, seq) => {
      const dir = inputs.get(seq) ?? (seq <= 30 ? [1, 0] : [0, 1]);
      inputs.set(seq, dir);
      c.socket.emit("input", client.encodeInput(seq, dir[0], dir[1], 0));
      sentLog.push(seq);
    };
    // 20 inputs at tick rate, then 10 at once, and the link dies right after.
    for (let seq = 1; seq <= 20; seq++) {
      send(a, seq);
      await sleep(1000 / a.welcome.tick_rate);
    }
    for (let seq = 21; seq <= 30; seq++) send(a, seq);
    await new Promise((r) => setImmediate(r));
    dropTransport(a);
    assert.equal(await a.disconnected, "transport close");

    // Meanwhile the other player sees A's ship as away (bit 7 of kind), still there.
    const away = await b.snapshot((s) => s.entities.some((e) => e.id === a.welcome.id && e.away), 3000);
    const held = away.entities.find((e) => e.id === a.welcome.id);
    assert.ok([1, 2].includes(held.kind), `the away bit is masked off the kind: ${held.kind}`);

    // Back with the token: same id and token, then at once a full snapshot whose ack is the last applied input.
    const a2 = open(server.url, { token: a.welcome.token });
    const [raw] = await a2.waitFor("welcome");
    a2.welcome = client.decodeWelcome(raw);
    assert.equal(a2.welcome.id, a.welcome.id, "the resumed welcome should have the same id");
    assert.equal(a2.welcome.token, a.welcome.token, "and the same token");
    assert.equal(a2.welcome.room, "resume-1");
    const first = await a2.snapshot();
    assert.equal(a2.log[0].event, "welcome");
    assert.ok(first.ack <= 30, `ack ${first.ack} should be at most the last seq sent`);
    const resend = sentLog.filter((seq, i) => seq > first.ack && sentLog.indexOf(seq) === i);
    assert.ok(resend.length <= 20, `resend (plus 5 stale) within the server's input burst: ${resend.length}`);
    // Five already-applied inputs sent again (a careless client would): the server drops them as replays.
    const stale = [];
    for (let seq = Math.max(1, first.ack - 4); seq <= first.ack; seq++) stale.push(seq);
    for (const seq of stale) send(a2, seq);
    for (const seq of resend) send(a2, seq);
    for (let seq = 31; seq <= 35; seq++) {
      send(a2, seq);
      await sleep(1000 / a.welcome.tick_rate);
    }
    const last = await a2.snapshot((s) => s.ack === 35, 3000);
    await sleep(100); // let /stats catch up with the tick that applied 35
    const after = await stats(server.adminUrl);

    const delta = (f) => f(after) - f(before);
    const applied = delta((s) => s.applied);
    const replay = delta((s) => s.dropped_by_reason.replay);
    const received = delta((s) => s.received);
    const dropped = delta((s) => s.dropped);
    const byReason = Object.fromEntries(
      Object.keys(after.dropped_by_reason).map((k) => [k, delta((s) => s.dropped_by_reason[k])]),
    );
    const detail = JSON.stringify({ ack: first.ack, resent: resend, stale, sent: sentLog.length, applied, received, byReason });
    assert.equal(applied, 35, `each of seq 1..35 applied exactly once: ${detail}`);
    assert.equal(delta((s) => s.rejected), 0, detail);
    assert.equal(received, applied + dropped, `every input received was applied or dropped: ${detail}`);
    assert.ok(received <= sentLog.length, detail);
    assert.equal(byReason.rate, 0, `resending within the burst is not rate-limited: ${detail}`);
    assert.equal(byReason.buffer_full, 0, detail);
    // The stale ones are replays. So is a resent input the old connection had already queued in the
    // room (newer than the resumed ack, applied after it): exactly-once is `applied` above.
    assert.ok(
      replay >= stale.length && replay <= stale.length + resend.length,
      `the stale ones, and at most the resent ones besides, are replays: ${detail}`,
    );
    // Inputs that reached the old connection but were not applied before the drop (newer than the
    // resumed ack) are not applied from there: the server drops them with the old connection
    // (counted under the reason in `detail`), and the resent copies are the ones applied.
    assert.ok(dropped - replay <= 30 - first.ack, detail);
    assert.equal(dropped - replay, byReason.unknown_player + byReason.queue_full, detail);
    if (process.env.SESSIONS_DETAIL) console.log(detail);

    // And the ship is where 35 steps, each applied once, put it.
    let p = { x: spawn.x, y: spawn.y };
    for (let seq = 1; seq <= 35; seq++) p = client.step(p, inputs.get(seq)[0], inputs.get(seq)[1], a.welcome.world, a.welcome.movement);
    const me = last.entities.find((e) => e.id === a.welcome.id);
    assert.ok(!me.away, "back: no longer away");
    assert.ok(Math.abs(me.x - p.x) < 0.1 && Math.abs(me.y - p.y) < 0.1, `server (${me.x}, ${me.y}) vs 35 steps (${p.x}, ${p.y})`);
    const seenByB = await b.snapshot((s) => s.entities.some((e) => e.id === a.welcome.id && !e.away));
    assert.ok(seenByB);
    a2.socket.disconnect();
    b.socket.disconnect();
  });

  it("a second connection with the same token wins; the first gets bye replaced", async () => {
    const a = await welcomed(server.url, { name: "Twice", room: "replace-1" });
    const byeP = a.waitFor("bye");
    const a2 = await welcomed(server.url, { token: a.welcome.token });
    assert.equal(a2.welcome.id, a.welcome.id);
    const [bye] = await byeP;
    assert.equal(client.decodeBye(bye).reason, "replaced");
    await a.disconnected;
    const snap = await a2.snapshot();
    const ships = snap.entities.filter((e) => e.kind !== 3);
    assert.deepEqual(ships.map((e) => e.id), [a.welcome.id], "still exactly one entity");
    a2.socket.disconnect();
  });

  it("a clean goodbye uses the token up", async () => {
    const a = await welcomed(server.url, { name: "Leaver", room: "leave-1" });
    a.socket.disconnect();
    await sleep(100);
    const again = open(server.url, { token: a.welcome.token });
    assert.equal(code(await again.connectError), "invalid_token");
  });

  it("after the hold period the token gets invalid_token; joining without it is a new session", async () => {
    const a = await welcomed(shortHold.url, { name: "Late", room: "hold-1" });
    const b = await welcomed(shortHold.url, { name: "Stays", room: "hold-1" });
    dropTransport(a);
    const [left] = await b.waitFor("left", (l) => l.id === a.welcome.id, 3000);
    assert.deepEqual(client.decodeLeft(left), { id: a.welcome.id, reason: "timeout" });
    const late = open(shortHold.url, { token: a.welcome.token });
    assert.equal(code(await late.connectError), "invalid_token");
    const fresh = await welcomed(shortHold.url, { name: "Late", room: "hold-1" });
    assert.notEqual(fresh.welcome.id, a.welcome.id, "a fresh join gets a new id");
    assert.notEqual(fresh.welcome.token, a.welcome.token);
    fresh.socket.disconnect();
    b.socket.disconnect();
  });
});

describe("rooms", () => {
  it("GET /rooms lists the rooms with their players and capacity; without a room, matchmaking fills the fullest", async () => {
    const x = await welcomed(server.url, { name: "X", room: "lobby-x" });
    const y = await welcomed(server.url, { name: "Y", room: "lobby-x" });
    const w = await welcomed(server.url, { name: "W", room: "lobby-w" });
    const list = async () => {
      const res = await fetch(`${server.url}/rooms`);
      assert.equal(res.status, 200);
      return client.decodeRooms(await res.json());
    };
    // A room publishes its player count at the end of its next tick, so the lobby may lag a
    // welcome by a tick: wait (bounded) for the counts instead of reading them once.
    const until = async (what, pred) => {
      const deadline = Date.now() + 10_000;
      let rooms = await list();
      while (!pred(rooms)) {
        assert.ok(Date.now() < deadline, `${what} within 10 s: ${JSON.stringify(rooms)}`);
        await new Promise((r) => setTimeout(r, 50));
        rooms = await list();
      }
      return rooms;
    };
    const players = (rooms, id) => rooms.find((r) => r.id === id)?.players;
    const rooms = await until("lobby-x with 2 and lobby-w with 1", (rs) => players(rs, "lobby-x") === 2 && players(rs, "lobby-w") === 1);
    const lx = rooms.find((r) => r.id === "lobby-x");
    assert.ok(lx.capacity >= 2 && lx.tick_rate > 0 && lx.snapshot_rate > 0);
    const z = await welcomed(server.url, { name: "Z" });
    assert.equal(z.welcome.room, "lobby-x", "no room in auth: the fullest room with a free seat");
    await until("lobby-x with 3", (rs) => players(rs, "lobby-x") === 3);
    for (const c of [x, y, w, z]) c.socket.disconnect();
  });
});
