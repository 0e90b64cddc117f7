/** The v2 parts of the SDK: field codecs, field interpolation, coasting, teleports, movement, input fields. */
import { describe, expect, it } from "vitest";
import { decode } from "@msgpack/msgpack";
import { decodeWelcome, SnapshotCodec } from "../src/codec";
import { BitReader, BitWriter, dequantizeField, quantizeField, TAU } from "../src/fields";
import { blendField, Interpolator } from "../src/interpolation";
import { step } from "../src/movement";
import { Predictor, type PredictStep } from "../src/prediction";
import type { FieldDoc, InputMsg, SchemaDoc } from "../src/protocol";
import { GameSession } from "../src/session";
import { fixtureBytes } from "./fixtures";
import { entity, movement, snapshot, welcome, world } from "./world";

const shooter = decodeWelcome(decode(fixtureBytes("welcome_v2")));
const TICK_MS = 1000 / 60;

describe("bit stream and field codecs", () => {
  it("writes and reads LSB-first, up to 32 bits per value", () => {
    const w = new BitWriter();
    w.write(5, 3);
    w.write(0xffff_ffff, 32);
    w.write(1, 1);
    w.write(0x1234, 16);
    const bytes = w.bytes();
    expect(bytes.length).toBe(7); // 52 bits
    expect(bytes[0]! & 7).toBe(5);
    const r = new BitReader(bytes, 0, bytes.length);
    expect([r.read(3), r.read(32), r.read(1), r.read(16)]).toEqual([5, 0xffff_ffff, 1, 0x1234]);
    expect(() => r.read(5)).toThrow(/truncated/);
  });

  it("every field of the fixture schema round-trips: decode(encode(decode(q))) keeps q", () => {
    const docs: FieldDoc[] = [...shooter.schema.kinds.flatMap((k) => k.fields), ...shooter.schema.private];
    for (const doc of docs) {
      const bits = doc.type === "velocity" ? 2 * doc.bits : doc.bits;
      const top = Math.min(2 ** bits, 4096);
      for (let i = 0; i < 300; i++) {
        const q = Math.floor((i / 300) * top);
        const v = dequantizeField(doc, q);
        const back = quantizeField(doc, v);
        expect(dequantizeField(doc, back), `${doc.name} q=${q}`).toEqual(v);
      }
    }
  });

  it("quantizes like PROTOCOL.md: angles wrap, values clamp, velocity zero is exact", () => {
    const angle: FieldDoc = { name: "a", type: "angle", bits: 8 };
    expect(quantizeField(angle, Math.PI / 2)).toBe(64);
    expect(quantizeField(angle, -Math.PI / 2)).toBe(192);
    expect(quantizeField(angle, TAU)).toBe(0);
    const hp: FieldDoc = { name: "hp", type: "uint", bits: 7, max: 100 };
    expect(quantizeField(hp, 250)).toBe(100);
    const team: FieldDoc = { name: "t", type: "int", bits: 2, min: -1, max: 2 };
    expect(quantizeField(team, -5)).toBe(0);
    expect(dequantizeField(team, 3)).toBe(2);
    const vel: FieldDoc = { name: "v", type: "velocity", bits: 12, max: 900 };
    expect(dequantizeField(vel, quantizeField(vel, [0, 0]))).toEqual([0, 0]);
    expect(dequantizeField(vel, quantizeField(vel, [5000, -5000]))).toEqual([900, -900]);
  });

  it("a snapshot with every field type round-trips through encode and decode", () => {
    const codec = new SnapshotCodec({ schema: shooter.schema, world: shooter.world });
    const s = codec.decode(fixtureBytes("snapshot_v2"));
    expect(codec.decode(codec.encode(s))).toEqual(s);
  });
});

describe("field interpolation", () => {
  const angle: FieldDoc = { name: "a", type: "angle", bits: 8 };
  it("angles go the short way round, staying in [0, τ)", () => {
    const a = 0.1;
    const b = TAU - 0.1;
    const mid = blendField(angle, a, b, 0.5) as number;
    expect(mid < 0.01 || mid > TAU - 0.01).toBe(true);
    expect(blendField(angle, a, b, 0.25) as number).toBeCloseTo(0.05, 5);
    expect(blendField(angle, 1, 2, 0.5)).toBeCloseTo(1.5, 10);
  });

  it("numbers and velocities blend linearly, flags take the later value", () => {
    expect(blendField({ name: "hp", type: "uint", bits: 7, max: 100 }, 80, 60, 0.5)).toBe(70);
    expect(blendField({ name: "v", type: "velocity", bits: 12, max: 900 }, [0, 100], [100, 0], 0.25)).toEqual([25, 75]);
    expect(blendField({ name: "s", type: "flag", bits: 1 }, true, false, 0.1)).toBe(false);
  });

  it("the interpolator blends a ship's fields between snapshots", () => {
    const interp = new Interpolator({ tickRate: 60, snapshotRate: 30, world, schema: shooter.schema, smoothingMs: 0, delayIntervals: 0 });
    const f = (angle: number, hp: number) => ({ angle, hp, shield: true, vel: [0, 0] as const });
    interp.push(snapshot(100, 0, [entity(1, 1, 500, 500, f(0.2, 100))]), 100 * TICK_MS);
    interp.push(snapshot(102, 0, [entity(1, 1, 508, 500, f(TAU - 0.2, 90))]), 102 * TICK_MS);
    const e = interp.sampleAt(101 * TICK_MS).get(1)!;
    expect(e.x).toBeCloseTo(504, 1); // within the quantization step
    expect(e.fields.hp).toBeCloseTo(95, 5);
    const a = e.fields.angle as number;
    expect(a < 0.01 || a > TAU - 0.01).toBe(true);
  });

  it("an entity listed in teleports jumps instead of gliding", () => {
    const interp = new Interpolator({ tickRate: 60, snapshotRate: 30, world, schema: shooter.schema, smoothingMs: 0, teleportSpeed: 1e9 });
    interp.push(snapshot(100, 0, [entity(2, 3, 500, 500)]), 0);
    interp.push(snapshot(102, 0, [entity(2, 3, 520, 500)], { teleports: [{ id: 2, tick: 101 }] }), 2 * TICK_MS);
    expect(interp.sampleAt(101 * TICK_MS).get(2)!.x).toBeCloseTo(500, 1);
  });
});

describe("extrapolation of entities with a velocity field", () => {
  it("coasts a bullet along its velocity past the newest snapshot and stops it at a wall", () => {
    const interp = new Interpolator({ tickRate: 60, snapshotRate: 30, world, schema: shooter.schema, smoothingMs: 0, maxCoastMs: 1000 });
    const bullet = (x: number, y: number) => entity(301, 5, x, y, { vel: [600, 0], heat: 0, team: 0 });
    interp.push(snapshot(100, 0, [bullet(600, 700)]), 0);
    const t = 100 * TICK_MS + 100; // 100 ms after the newest snapshot: 60 units on
    expect(interp.sampleAt(t).get(301)!.x).toBeCloseTo(600 + 60, 0);
    // Towards the wall [100, 200, 300, 32] from below its row: flying up, it stops under the wall.
    const up = entity(302, 5, 200, 300, { vel: [0, -600], heat: 0, team: 0 });
    interp.push(snapshot(102, 0, [up]), 10);
    const p = interp.sampleAt(102 * TICK_MS + 500).get(302)!;
    expect(p.y).toBeGreaterThanOrEqual(232 - 1e-3);
    expect(p.y).toBeLessThan(240);
  });
});

describe("interpolation of entities with a velocity field", () => {
  // GameSession judges jumps by twice the player speed (480 units/s here); a 600 units/s bullet
  // is not jumping: it glides between snapshots instead of being held at each one.
  const interp = () => new Interpolator({ tickRate: 60, snapshotRate: 30, world, schema: shooter.schema, smoothingMs: 0, teleportSpeed: 480 });
  const bullet = (x: number) => entity(301, 5, x, 700, { vel: [600, 0], heat: 0, team: 0 });

  it("a bullet faster than the teleport speed glides between snapshots", () => {
    const i = interp();
    i.push(snapshot(100, 0, [bullet(600)]), 0);
    i.push(snapshot(102, 0, [bullet(620)]), 2 * TICK_MS);
    expect(i.sampleAt(100.5 * TICK_MS).get(301)!.x).toBeCloseTo(605, 1);
    expect(i.sampleAt(101 * TICK_MS).get(301)!.x).toBeCloseTo(610, 1);
    expect(i.sampleAt(101.5 * TICK_MS).get(301)!.x).toBeCloseTo(615, 1);
  });

  it("a bullet that moved far more than its velocity explains still jumps", () => {
    const i = interp();
    i.push(snapshot(100, 0, [bullet(600)]), 0);
    i.push(snapshot(102, 0, [bullet(1000)]), 2 * TICK_MS); // 400 units in 2 ticks: 12,000 units/s
    expect(i.sampleAt(101 * TICK_MS).get(301)!.x).toBeCloseTo(600, 1); // held at the first
  });
});

describe("prediction in v2", () => {
  it("a teleport of our entity snaps the prediction instead of smoothing it", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    const c = p.reconcile(0, { x: 810, y: 600 }, true);
    expect(c.snapped).toBe(true);
    expect(p.offset).toEqual({ x: 0, y: 0 });
    const d = p.reconcile(0, { x: 812, y: 600 });
    expect(d.snapped).toBe(false);
  });

  it("movement from a snapshot changes the predicted speed; its absence goes back to welcome's", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    p.setMovement({ max_speed: 0, radius: 18 });
    p.applyInput([1, 1, 0, 0]);
    expect(p.position).toEqual({ x: 800, y: 600 }); // frozen
    expect(p.movement.radius).toBe(18);
    p.setMovement(null);
    p.applyInput([2, 1, 0, 0]);
    expect(p.position).toEqual(step({ x: 800, y: 600 }, 1, 0, world, movement));
  });

  it("uses a game-supplied step", () => {
    const hop: PredictStep = (pos, input) => ({ x: pos.x + input.dx * 10, y: pos.y });
    const p = new Predictor(world, movement, { step: hop });
    p.reconcile(0, { x: 100, y: 100 });
    p.applyInput([1, 1, 0, 0]);
    p.applyInput([2, 1, 0, 0]);
    expect(p.position).toEqual({ x: 120, y: 100 });
  });
});

describe("GameSession with input fields", () => {
  const schema: SchemaDoc = { ...welcome.schema, input: shooter.schema.input };
  const w = { ...welcome, schema };

  it("sends the game's fields after [seq, dx, dy, buttons]; an action goes into exactly one input", () => {
    const sent: InputMsg[] = [];
    const s = new GameSession(w, (m) => sent.push(m));
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600)]), 0);
    s.tick(0, () => ({ dx: 1, dy: 0, buttons: 0, fields: { aim: 1.25 } }));
    s.sendAction({ fire: true, weapon: 2 }, 1);
    s.tick(TICK_MS, () => ({ dx: 1, dy: 0, buttons: 0, fields: { aim: 1.25 } }));
    s.tick(2 * TICK_MS, () => ({ dx: 0, dy: 0, buttons: 0 }));
    expect(sent).toEqual([
      [1, 1, 0, 0, 1.25, false, 0, 0],
      [2, 1, 0, 1, 1.25, true, 2, 0],
      [3, 0, 0, 0, 0, false, 0, 0],
    ]);
  });

  it("a resume resends the inputs newer than the ack byte for byte, fields included", () => {
    const sent: InputMsg[] = [];
    const s = new GameSession(w, (m) => sent.push(m));
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600)]), 0);
    for (let i = 0; i < 5; i++) s.tick(i * TICK_MS, () => ({ dx: 0, dy: 1, buttons: 0, fields: { weapon: i % 4 } }));
    const firstFive = sent.slice();
    s.resume(w);
    sent.length = 0;
    s.onSnapshot(snapshot(1100, 2, [entity(5, 1, 800, 608)]), 1000);
    expect(sent).toEqual(firstFive.slice(2));
    expect(s.lastResume).toEqual({ ack: 2, resent: [3, 4, 5], givenUp: 0 });
  });

  it("keeps the private fields of the newest snapshot that has them", () => {
    const s = new GameSession(w, () => {});
    s.onSnapshot(snapshot(1000, 0, [], { private: { ammo: 17, cooldown: 0.5 } }), 0);
    s.onSnapshot(snapshot(1002, 0, []), 10);
    expect(s.privateFields).toEqual({ ammo: 17, cooldown: 0.5 });
  });
});
