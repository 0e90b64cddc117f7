// Game-defined state (protocol v2) through the SDK, with the real socket.io-client in Node, against
// Skirmish: a shooter written only in a Rust test file (server/tests/common/skirmish.rs) and hosted
// by the `skirmish` example. Nothing here decodes Skirmish: the SDK's Connection compiles its
// snapshot decoder from the `welcome` schema alone; the test knows field names and what the rules
// set (kinds ship 1 and bullet 5, aim/fire/weapon, ammo/cooldown, chat, kill, spawn points).
// Inputs go through GameSession (one per tick, with the game's input fields and `sendAction`),
// chat through `sendMessage` and the typed `onEvent`. Waits are on conditions, with generous
// timeouts: no timing is asserted tightly.
//
//   cargo build -p tickstate-server --example skirmish
//   TICKSTATE_SKIRMISH_BIN=../target/debug/examples/skirmish npm run test:compat
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { loadClientModules } from "../support/client-modules.mjs";
import { fixtureBinary, startServer } from "../support/server.mjs";

const BUILD = "cargo build -p tickstate-server --example skirmish, then TICKSTATE_SKIRMISH_BIN=target/debug/examples/skirmish";
const SHIP = 1;
const BULLET = 5;
const TAU = 2 * Math.PI;
/** What the rules set (server/tests/common/skirmish.rs). */
const RULES = { bulletSpeed: 600, ammo: 10, cooldown: 0.1, respawnAt: { x: 800, y: 800 }, speed: 240 };
/** Generous: a busy 2-core CI machine. */
const WAIT_MS = 15_000;

/** @type {Awaited<ReturnType<typeof loadClientModules>>} */
let sdk;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
const players = new Set();

/** Polls `probe` until it returns something truthy; rejects after `ms` naming `what`. */
async function until(what, probe, ms = WAIT_MS) {
  const end = performance.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Event decoders the game gives the SDK (its validation of network data): shape checks only. */
const uint16 = (v, what) => {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new Error(`${what}: not a u16: ${v}`);
  return v;
};
const EVENTS = {
  chat: (raw) => {
    if (typeof raw?.text !== "string") throw new Error("chat.text: not a string");
    return { from: uint16(raw.from, "chat.from"), text: raw.text };
  },
  kill: (raw) => ({ victim: uint16(raw?.victim, "kill.victim"), by: uint16(raw?.by, "kill.by") }),
};

/**
 * A player through the SDK: a Connection (socket.io-client + msgpack parser), a GameSession made
 * from each welcome, ticking every few ms with `controls`; snapshots, inputs sent and game events
 * are recorded.
 */
function player(name, room) {
  const conn = new sdk.Connection({ url: server.url, name, room, events: EVENTS, retryDelayMs: 200 });
  const p = {
    conn,
    /** @type {InstanceType<typeof sdk.GameSession> | null} */
    session: null,
    /** Decoded snapshots with their arrival time `at`. */
    snaps: [],
    /** Inputs as sent, `[seq, dx, dy, buttons, aim, fire, weapon]`. */
    sent: [],
    events: [],
    protocolErrors: [],
    controls: { dx: 0, dy: 0, buttons: 0, fields: { aim: 0, weapon: 0 } },
    get welcome() {
      return this.session?.welcome ?? null;
    },
    get id() {
      return this.session?.id ?? null;
    },
    /** The newest snapshot, or the first one after index `from` that satisfies `pred`. */
    snapshot(what, pred, from = 0) {
      return until(what, () => p.snaps.slice(from).find(pred));
    },
    close() {
      clearInterval(timer);
      conn.close();
    },
  };
  conn.on("welcome", (w) => {
    p.session = new sdk.GameSession(w, (msg) => {
      p.sent.push(msg);
      conn.sendInput(msg);
    });
  });
  conn.on("snapshot", (s, at) => {
    p.session?.onSnapshot(s, at);
    p.snaps.push({ ...s, at });
  });
  conn.on("protocolError", (e) => p.protocolErrors.push(e.message));
  for (const name of Object.keys(EVENTS)) conn.onEvent(name, (data, tick) => p.events.push({ name, data, tick }));
  const timer = setInterval(() => {
    if (p.session && conn.status.state === "connected") p.session.tick(performance.now(), () => p.controls);
  }, 4);
  players.add(p);
  conn.connect();
  return p;
}

/** A player whose welcome came, and whose own ship is in a snapshot. */
async function joined(name, room) {
  const p = player(name, room);
  await until(`${name}'s welcome`, () => p.session);
  await p.snapshot(`${name}'s ship`, (s) => s.entities.some((e) => e.id === p.id && e.kind === SHIP));
  return p;
}

/** The seq of the first input sent (from index `from`) that satisfies `pred`. */
function sentSeq(p, what, pred, from = 0) {
  return until(what, () => p.sent.slice(from).find(pred)?.[0]);
}

const angleDiff = (a, b) => {
  const d = (((a - b) % TAU) + TAU) % TAU;
  return Math.min(d, TAU - d);
};
const near = (a, b, eps) => Math.abs(a - b) <= eps;

before(async () => {
  const bin = fixtureBinary("TICKSTATE_SKIRMISH_BIN", BUILD);
  sdk = await loadClientModules();
  server = await startServer(["--seed", "9"], "127.0.0.1:0", { bin });
});

after(async () => {
  for (const p of players) p.close();
  if (server) await server.stop();
});

describe("skirmish: game-defined state through the SDK", () => {
  it("fields, an aim/fire action, private fields, a moving bullet, freeze and chat", async () => {
    const a = await joined("Ada", "skirmish-shots"); // spawns at (200, 450)
    const b = await joined("Bo", "skirmish-shots"); // at (600, 450)
    const w = a.welcome;
    assert.equal(w.protocol, 2);
    assert.equal(w.game, "skirmish");
    assert.equal(w.room, "skirmish-shots");
    // Everything the SDK knows about the game came in the welcome.
    const kind = (id) => w.schema.kinds.find((k) => k.id === id);
    assert.deepEqual(kind(SHIP).fields.map((f) => f.name), ["angle", "hp", "shield", "vel"]);
    assert.deepEqual(kind(BULLET).fields.map((f) => f.name), ["vel"]);
    assert.deepEqual(w.schema.input.map((f) => f.name), ["aim", "fire", "weapon"]);
    assert.deepEqual(w.schema.private.map((f) => f.name), ["ammo", "cooldown"]);
    assert.deepEqual(w.schema.messages, [{ name: "chat", max_bytes: 64 }]);
    assert.deepEqual(w.schema.events, ["chat", "kill"]);
    const [aid, bid] = [a.id, b.id];
    const start = a.snaps.at(-1).entities.find((e) => e.id === aid);
    assert.ok(near(start.x, 200, 0.1) && near(start.y, 450, 0.1), `Ada spawns at (200, 450): (${start.x}, ${start.y})`);
    assert.equal(start.fields.hp, 100);

    // Aim at 1.25 rad with the shield up (weapon 2) every tick, and fire once (an action).
    const aim = 1.25;
    a.controls = { dx: 0, dy: 0, buttons: 0, fields: { aim, weapon: 2 } };
    await sentSeq(a, "an input with aim and weapon 2", (m) => m[6] === 2);
    const sentBefore = a.sent.length;
    a.session.sendAction({ fire: true });
    const fireSeq = await sentSeq(a, "the input that fires", (m) => m[5] === true, sentBefore);
    assert.equal(a.sent.filter((m) => m[5] === true).length, 1, "an action goes in one input only");
    const shot = await a.snapshot("Ada's shot in a snapshot", (s) => s.ack >= fireSeq && s.entities.some((e) => e.kind === BULLET));
    const me = shot.entities.find((e) => e.id === aid);
    assert.ok(me, "Ada's ship is in the snapshot");
    assert.ok(angleDiff(me.fields.angle, aim) <= TAU / 256 / 2 + 1e-4, `angle ${me.fields.angle} for aim ${aim} (8 bits)`);
    assert.equal(me.fields.hp, 100);
    assert.equal(me.fields.shield, true);
    // Private fields: Ada's ammo went down by one; the cooldown runs.
    assert.ok(shot.private, "the snapshot has Ada's private fields");
    assert.equal(shot.private.ammo, RULES.ammo - 1);
    assert.ok(shot.private.cooldown > 0 && shot.private.cooldown <= RULES.cooldown + 0.01, `cooldown ${shot.private.cooldown}`);
    assert.equal(a.session.privateFields.ammo, RULES.ammo - 1, "the session keeps the private fields");

    // The bullet flies with the velocity the rules gave it, within one quantization step.
    const bullet = shot.entities.find((e) => e.kind === BULLET);
    const [vx, vy] = bullet.fields.vel;
    const step = 1200 / 2047;
    assert.ok(
      near(vx, RULES.bulletSpeed * Math.cos(aim), step) && near(vy, RULES.bulletSpeed * Math.sin(aim), step),
      `bullet velocity (${vx}, ${vy})`,
    );
    // Fired from the ship, 24 units out along the aim (and maybe a tick or two on by now).
    const [ox, oy] = [bullet.x - me.x, bullet.y - me.y];
    const along = ox * Math.cos(aim) + oy * Math.sin(aim);
    assert.ok(along >= 24 - 0.1 && along <= 24 + (3 * RULES.bulletSpeed) / w.tick_rate, `${along} units along the aim`);
    assert.ok(Math.abs(-ox * Math.sin(aim) + oy * Math.cos(aim)) < 0.5, "and on the aim line");
    // The engine moves it: a later snapshot has it where its velocity puts it.
    const shotIdx = a.snaps.indexOf(shot);
    const later = await a.snapshot("the bullet in a later snapshot", (s) => s.tick > shot.tick && s.entities.some((e) => e.id === bullet.id), shotIdx);
    const moved = later.entities.find((e) => e.id === bullet.id);
    const dt = (later.tick - shot.tick) / w.tick_rate;
    assert.ok(
      near(moved.x - bullet.x, vx * dt, 1) && near(moved.y - bullet.y, vy * dt, 1),
      `moved (${moved.x - bullet.x}, ${moved.y - bullet.y}) in ${dt} s at (${vx}, ${vy})`,
    );
    // And Bo's session draws it gliding between snapshots (interpolated, coasting past the newest
    // along its velocity): at every frame, where its velocity has it at the frame's render tick
    // (the render clock is the SDK's, so nothing here depends on how late the frames run). Until
    // it leaves (it reaches the bottom wall ~0.75 s after the shot).
    const at = (tick) => {
      const s = (tick - shot.tick) / w.tick_rate;
      return { x: bullet.x + vx * s, y: bullet.y + vy * s };
    };
    const drawn = [];
    for (let i = 0; i < 200 && (drawn.length < 2 || drawn.at(-1).t - drawn[0].t < 150); i++) {
      const t = performance.now();
      const e = b.session.frame(t).entities.get(bullet.id);
      const tick = b.session.renderTick(t); // the same render time as the frame's
      if (e) drawn.push({ t, tick, x: e.x, y: e.y, kind: e.kind, expected: at(tick) });
      else if (drawn.length > 0) break;
      await sleep(16);
    }
    const log = JSON.stringify(drawn);
    assert.ok(drawn.length >= 2, `Bo's session draws the bullet in several frames: ${log}`);
    assert.ok(drawn.every((d) => d.kind === BULLET));
    for (const d of drawn.filter((d) => d.expected.y < w.world.height - 20)) {
      assert.ok(
        near(d.x, d.expected.x, 1) && near(d.y, d.expected.y, 1),
        `drawn at (${d.x}, ${d.y}) at render tick ${d.tick}, its velocity has it at (${d.expected.x}, ${d.expected.y}): ${log}`,
      );
    }
    assert.ok(drawn.at(-1).y > drawn[0].y, `the drawn bullet moves: ${log}`);

    // Bo sees Ada's shield, and its own full ammo: private fields are per player.
    const seen = await b.snapshot("Bo sees Ada's shield", (s) => s.entities.some((e) => e.id === aid && e.fields.shield === true));
    assert.ok(seen.private, "Bo's snapshot has Bo's private fields");
    assert.equal(seen.private.ammo, RULES.ammo);
    assert.equal(seen.private.cooldown, 0);
    const drawnAda = b.session.frame(performance.now()).entities.get(aid);
    assert.ok(drawnAda && drawnAda.kind === SHIP && drawnAda.fields.shield === true, "Bo's session draws Ada's shield");

    // Chat: sendMessage, checked against the schema, reaches Bo through the typed event, with a tick.
    assert.equal(a.conn.sendMessage("chat", { text: "x".repeat(100) }), "too_large", "max_bytes from the schema");
    assert.equal(a.conn.sendMessage("shout", { text: "hi" }), "unknown");
    assert.equal(a.conn.sendMessage("chat", { text: "gg" }), null);
    const chat = await until("Bo gets the chat", () => b.events.find((e) => e.name === "chat"));
    assert.deepEqual(chat.data, { from: aid, text: "gg" });
    assert.ok(Number.isInteger(chat.tick) && chat.tick >= shot.tick, `chat tick ${chat.tick} (shot at ${shot.tick})`);
    await until("Ada gets her own chat line too", () => a.events.find((e) => e.name === "chat"));

    // Weapon 3 freezes Ada's ship: the snapshot says its speed is 0, and the session predicts with it.
    const before3 = a.sent.length;
    a.controls = { dx: 1, dy: 0, buttons: 0, fields: { aim, weapon: 3 } };
    const freezeSeq = await sentSeq(a, "an input with weapon 3", (m) => m[6] === 3, before3);
    const frozen = await a.snapshot("frozen", (s) => s.ack >= freezeSeq && s.movement !== null);
    assert.equal(frozen.movement.max_speed, 0);
    assert.equal(frozen.movement.radius, w.movement.radius);
    await until("the session predicts with speed 0", () => a.session.movement.max_speed === 0);
    const stillAt = frozen.entities.find((e) => e.id === aid);
    const frozenLater = await a.snapshot("frozen, later", (s) => s.tick >= frozen.tick + 10 && s.movement !== null, a.snaps.indexOf(frozen));
    const still = frozenLater.entities.find((e) => e.id === aid);
    assert.ok(near(still.x, stillAt.x, 0.05) && near(still.y, stillAt.y, 0.05), "a frozen ship does not move");
    const before0 = a.sent.length;
    a.controls = { dx: 0, dy: 0, buttons: 0, fields: { aim, weapon: 0 } };
    const thawSeq = await sentSeq(a, "an input with weapon 0", (m) => m[6] === 0, before0);
    const thawed = await a.snapshot("unfrozen", (s) => s.ack >= thawSeq && s.movement === null);
    assert.equal(thawed.entities.find((e) => e.id === aid).fields.shield, false, "weapon 0: no shield");
    await until("the session predicts with the welcome's speed again", () => a.session.movement.max_speed === w.movement.max_speed);

    for (const p of [a, b]) assert.deepEqual(p.protocolErrors, [], "nothing the SDK could not decode");
    assert.equal(bid, b.welcome.id);
    a.close();
    b.close();
  });

  it("a ship dies, respawns with its id at the respawn point, and the snapshot says it teleported", async () => {
    const a = await joined("Ada", "skirmish-kill"); // at (200, 450)
    const b = await joined("Bo", "skirmish-kill"); // at (600, 450): straight to Ada's right
    const [aid, bid] = [a.id, b.id];
    // Fire to the right every tick (the cooldown allows one shot per 0.1 s); four hits kill Bo.
    a.controls = { dx: 0, dy: 0, buttons: 0, fields: { aim: 0, fire: true, weapon: 0 } };
    const kill = await until("Bo gets the kill event", () => b.events.find((e) => e.name === "kill"));
    a.controls = { dx: 0, dy: 0, buttons: 0, fields: { aim: 0, fire: false, weapon: 0 } };
    assert.deepEqual(kill.data, { victim: bid, by: aid });
    const diedAt = kill.tick;
    assert.ok(Number.isInteger(diedAt));
    await until("Ada gets the kill event too", () => a.events.find((e) => e.name === "kill"));
    // Bo's entity leaves the snapshots, then comes back with the same id at the respawn point.
    const gone = await a.snapshot("Bo gone", (s) => s.tick >= diedAt && !s.entities.some((e) => e.id === bid));
    const back = await a.snapshot("Bo back", (s) => s.tick > gone.tick && s.entities.some((e) => e.id === bid), a.snaps.indexOf(gone));
    const r = back.entities.find((e) => e.id === bid);
    assert.equal(r.kind, SHIP);
    assert.ok(near(r.x, RULES.respawnAt.x, 0.1) && near(r.y, RULES.respawnAt.y, 0.1), `respawned at (${r.x}, ${r.y})`);
    assert.equal(r.fields.hp, 100, "full health after the respawn");
    assert.ok(
      back.teleports.some((t) => t.id === bid && t.tick > diedAt),
      `the respawn is a teleport: ${JSON.stringify(back.teleports)}`,
    );
    // Bo's own session snaps its predicted ship there; Ada's draws Bo there (a jump, not a glide).
    await until("Bo's session draws its own ship at the respawn point", () => {
      const e = b.session.frame(performance.now()).entities.get(bid);
      return e && e.own && near(e.x, RULES.respawnAt.x, 0.5) && near(e.y, RULES.respawnAt.y, 0.5);
    });
    await until("Ada's session draws Bo at the respawn point", () => {
      const e = a.session.frame(performance.now()).entities.get(bid);
      return e && near(e.x, RULES.respawnAt.x, 0.5) && near(e.y, RULES.respawnAt.y, 0.5);
    });
    for (const p of [a, b]) assert.deepEqual(p.protocolErrors, [], "nothing the SDK could not decode");
    a.close();
    b.close();
  });
});
