import { decodeSchema, ProtocolError, type EntityState, type Snapshot, type World } from "tickstate-sdk";
import { describe, expect, it } from "vitest";
import { ALL_EVENT_DECODERS, sceneFor } from "../../src/games";
import {
  decodeChat,
  decodeChatRefused,
  decodeKill,
  decodeRail,
  decodeScoreboard,
  GAME,
  Kinds,
  normAngle,
  SCHEMA,
  Tuning,
} from "../../src/games/arena";
import { BoltTracker } from "../../src/games/arena/bolts";
import { castBeam, distanceToWall, rayBox } from "../../src/games/arena/geometry";

const WORLD: World = { width: 1600, height: 900, walls: [[760, 330, 80, 240]] };
const TICK_MS = 1000 / 60;

function bolt(id: number, x: number, y: number, vx: number, vy: number, owner: number): EntityState {
  return { id, kind: Kinds.bolt, away: false, qx: 0, qy: 0, x, y, fields: { vel: [vx, vy], owner } };
}

function snap(tick: number, entities: EntityState[]): Snapshot {
  return { tick, ack: 0, entities, teleports: [], private: null, movement: null };
}

const tracker = () =>
  new BoltTracker({
    world: WORLD,
    tickRate: 60,
    ownId: 1,
    kind: Kinds.bolt,
    radius: Tuning.boltRadius,
    speed: Tuning.boltSpeed,
    lifetimeMs: Tuning.boltLifetimeMs,
  });

describe("Arena's client rules", () => {
  it("its generated schema is one the SDK accepts: ships with hp, bolts with vel and owner, the five events", () => {
    expect(GAME).toBe("arena");
    expect(decodeSchema(SCHEMA)).toEqual(SCHEMA);
    expect(SCHEMA.kinds.find((k) => k.id === Kinds.ship)!.fields.map((f) => f.name)).toEqual(["angle", "hp", "shield"]);
    expect(SCHEMA.kinds.find((k) => k.id === Kinds.bolt)!.fields.map((f) => f.name)).toEqual(["vel", "owner"]);
    expect(SCHEMA.input.map((f) => f.name)).toEqual(["aim", "fire", "rail", "view_tick"]);
    expect([...SCHEMA.events].sort()).toEqual(["chat", "chat_refused", "kill", "rail", "scoreboard"]);
  });

  it("one build plays both games: the scene comes from welcome.game, every game's events decode", () => {
    expect(sceneFor("arena")).toBe("Arena");
    expect(sceneFor("star_collector")).toBe("Game");
    expect(Object.keys(ALL_EVENT_DECODERS).sort()).toEqual(["chat", "chat_refused", "kill", "rail", "scoreboard", "scores"]);
  });

  it("decodes its events and refuses malformed ones", () => {
    expect(decodeChat({ id: 3, text: "hi" })).toEqual({ id: 3, text: "hi" });
    expect(decodeChatRefused({ reason: "rate_limited" })).toEqual({ reason: "rate_limited" });
    expect(decodeKill({ killer: 1, victim: 2, weapon: "rail" })).toEqual({ killer: 1, victim: 2, weapon: "rail" });
    expect(decodeScoreboard({ players: [{ id: 1, name: "Ada", kills: 2, deaths: 0 }] }).players[0]!.kills).toBe(2);
    expect(decodeRail({ by: 1, from: [1, 2], to: [3, 4], hit: null })).toEqual({ by: 1, from: [1, 2], to: [3, 4], hit: null });
    expect(decodeRail({ by: 1, from: [1, 2], to: [3, 4], hit: 7 }).hit).toBe(7);
    expect(() => decodeChat({ id: -1, text: "x" })).toThrow(ProtocolError);
    expect(() => decodeKill({ killer: 1, victim: 2, weapon: "laser" })).toThrow(ProtocolError);
    expect(() => decodeRail({ by: 1, from: [1], to: [3, 4], hit: null })).toThrow(ProtocolError);
    expect(() => decodeScoreboard({ players: "all" })).toThrow(ProtocolError);
    expect(normAngle(-Math.PI / 2)).toBeCloseTo((3 * Math.PI) / 2);
  });

  it("rays stop at walls, the world's edge and targets", () => {
    // Along +x from (100, 450) with radius 4: the wall at x=760 is met at 760-4-100.
    expect(distanceToWall(WORLD, 100, 450, 1, 0, 4, 5000)).toBeCloseTo(656);
    // Along +y from (100, 450): the bottom edge minus the radius.
    expect(distanceToWall(WORLD, 100, 450, 0, 1, 4, 5000)).toBeCloseTo(446);
    expect(rayBox(0, 0, 1, 0, [10, -1, 12, 1], 0, 100)).toBeCloseTo(10);
    expect(rayBox(0, 0, 0, 1, [10, -1, 12, 1], 0, 100)).toBeNull();
    const beam = castBeam(WORLD, 100, 450, 0, 1400, [{ id: 9, x: 400, y: 455, r: 18 }]);
    expect(beam.hit).toBe(9);
    expect(beam.to[0]).toBeCloseTo(382);
    const miss = castBeam(WORLD, 100, 450, 0, 1400, [{ id: 9, x: 400, y: 500, r: 18 }]);
    expect(miss.hit).toBeNull();
    expect(miss.to[0]).toBeCloseTo(760);
  });
});

describe("BoltTracker", () => {
  it("draws others' bolts from their spawn plus velocity at the render time, every frame", () => {
    const t = tracker();
    t.onSnapshot(snap(100, [bolt(5, 200, 100, 900, 0, 2)]), 0);
    t.onSnapshot(snap(102, [bolt(5, 230, 100, 900, 0, 2)]), 33);
    const xs: number[] = [];
    for (let ms = 100 * TICK_MS; ms < 102 * TICK_MS; ms += 5) xs.push(t.sample(0, ms)[0]!.x);
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeCloseTo(4.5, 5); // 900 u/s * 5 ms
    const first = t.sample(0, 100 * TICK_MS)[0]!;
    expect(first).toMatchObject({ key: 5, y: 100, own: false, predicted: false });
    expect(first.x).toBeCloseTo(200, 6);
  });

  it("a bolt a snapshot no longer has goes when the render time reaches that moment", () => {
    const t = tracker();
    t.onSnapshot(snap(100, [bolt(5, 200, 100, 900, 0, 2)]), 0);
    t.onSnapshot(snap(102, []), 33);
    expect(t.sample(0, 100.5 * TICK_MS)).toHaveLength(1);
    expect(t.sample(0, 102 * TICK_MS)).toHaveLength(0);
    expect(t.sample(0, 100 * TICK_MS)).toHaveLength(0); // and stays gone
  });

  it("stops drawing a bolt where its path meets a wall", () => {
    const t = tracker();
    t.onSnapshot(snap(100, [bolt(5, 700, 450, 900, 0, 2)]), 0);
    // 756 - 700 = 56 units to the wall: ~62 ms.
    expect(t.sample(0, 100 * TICK_MS + 50)).toHaveLength(1);
    expect(t.sample(0, 100 * TICK_MS + 80)).toHaveLength(0);
  });

  it("shows your shot at once and replaces it seamlessly by the server's bolt", () => {
    const t = tracker();
    // Fired at local time 1000 from (100, 100) along +x.
    t.predict(100, 100, 0, 1000);
    expect(t.sample(1000, null)).toEqual([expect.objectContaining({ x: 100, y: 100, own: true, predicted: true })]);
    const before = t.sample(1050, null)[0]!;
    expect(before.x).toBeCloseTo(145); // 900 u/s for 50 ms
    // The server's bolt: fired a little later, seen at tick 90 at x=130 (on its own timeline).
    t.onSnapshot(snap(90, [bolt(7, 130, 100.5, 900, 0, 1)]), 1060);
    const after = t.sample(1060, null);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ key: 7, own: true, predicted: false });
    // Where the predicted bolt would be now (x=154), give or take the sideways offset.
    expect(after[0]!.x).toBeCloseTo(154, 5);
    expect(after[0]!.y).toBeCloseTo(100.5);
    expect(t.predictedCount).toBe(0);
    // Gone on the server: gone at once (it is drawn ahead of the server).
    t.onSnapshot(snap(92, []), 1090);
    expect(t.sample(1091, null)).toHaveLength(0);
  });

  it("drops a predicted shot the server never fired", () => {
    const t = tracker();
    t.predict(100, 100, 0, 1000);
    expect(t.sample(1400, null)).toHaveLength(1);
    expect(t.sample(1600, null)).toHaveLength(0);
  });

  it("does not match a bolt flying another way, or someone else's", () => {
    const t = tracker();
    t.predict(100, 100, 0, 1000);
    t.onSnapshot(snap(90, [bolt(7, 100, 130, 0, 900, 1), bolt(8, 130, 100, 900, 0, 2)]), 1050);
    const drawn = t.sample(1050, 90 * TICK_MS);
    expect(drawn.filter((b) => b.predicted)).toHaveLength(1);
    expect(drawn.find((b) => b.key === 8)!.own).toBe(false);
  });
});
