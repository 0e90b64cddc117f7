import { describe, expect, it } from "vitest";
import type { InputMsg } from "../src/protocol";
import { FixedStep } from "../src/fixed-step";
import { step } from "../src/movement";
import { GameSession, IDLE } from "../src/session";
import { entity, movement, snapshot, welcome, world } from "./world";

const TICK_MS = 1000 / 60;

describe("FixedStep", () => {
  it("runs one tick per step of time, keeping the remainder", () => {
    const c = new FixedStep(60);
    expect(c.advance(1000)).toBe(1);
    expect(c.advance(1010)).toBe(0);
    expect(c.advance(1020)).toBe(1);
    expect(c.alpha).toBeCloseTo((20 - TICK_MS) / TICK_MS, 5);
    let total = 0;
    for (let t = 1020; t <= 2020; t += 7) total += c.advance(t);
    expect(total).toBeGreaterThanOrEqual(59);
    expect(total).toBeLessThanOrEqual(61);
  });

  it("does not send a backlog after a stall", () => {
    const c = new FixedStep(60, 4);
    c.advance(0);
    expect(c.advance(5000)).toBe(4);
    expect(c.advance(5000 + TICK_MS)).toBe(1);
  });

  it("rejects a non-positive rate", () => {
    expect(() => new FixedStep(0)).toThrow(RangeError);
  });
});

describe("GameSession", () => {
  function session() {
    const sent: InputMsg[] = [];
    // No snapshots in some of these tests: no stall detection either.
    const s = new GameSession(welcome, (m) => sent.push(m), { stallMs: Infinity });
    return { s, sent };
  }

  it("starts names from welcome.players and follows joined/left", () => {
    const { s } = session();
    expect([...s.names.entries()]).toEqual([
      [5, "Ada"],
      [9, "Linus"],
    ]);
    s.onJoined({ id: 11, name: "Grace" });
    s.onLeft({ id: 9, reason: "disconnect" });
    expect([...s.names.values()]).toEqual(["Ada", "Grace"]);
  });

  it("sends one input per tick, idle ones included, seq from 1 upwards", () => {
    const { s, sent } = session();
    let t = 0;
    for (let frame = 0; frame < 60; frame++, t += TICK_MS) {
      s.tick(t, () => (frame < 30 ? { dx: 1, dy: 0, buttons: 1 } : IDLE));
    }
    expect(sent.length).toBeGreaterThanOrEqual(59);
    expect(sent.length).toBeLessThanOrEqual(61);
    expect(sent.map((m) => m[0])).toEqual(sent.map((_, i) => i + 1));
    expect(sent[0]).toEqual([1, 1, 0, 1]);
    expect(sent.at(-1)).toEqual([sent.length, 0, 0, 0]);
    expect(s.lastSeq).toBe(sent.length);
  });

  it("never sends non-finite directions", () => {
    const { s, sent } = session();
    s.tick(0, () => ({ dx: Number.NaN, dy: Number.POSITIVE_INFINITY, buttons: 0 }));
    expect(sent).toEqual([[1, 0, 0, 0]]);
  });

  it("draws its own ship predicted (ahead of the server) and others interpolated", () => {
    const { s } = session();
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600), entity(9, 2, 300, 300), entity(300, 3, 1000, 1000)]), 0);
    let t = 0;
    for (let frame = 0; frame < 10; frame++, t += TICK_MS) s.tick(t, () => ({ dx: 1, dy: 0, buttons: 0 }));
    const f = s.frame(t);
    const own = f.entities.get(5)!;
    expect(own.own).toBe(true);
    expect(own.kind).toBe(1);
    expect(own.x).toBeGreaterThan(800 + 4 * 8); // moved without waiting for any ack
    expect(f.entities.get(9)).toMatchObject({ own: false, kind: 2 });
    expect(f.entities.get(300)).toMatchObject({ own: false, kind: 3 });
    expect(f.tick).toBe(1000);
    expect(s.pendingInputs).toBe(s.lastSeq);
  });

  it("reconciles: after the server acknowledges everything, prediction equals the server", () => {
    const { s, sent } = session();
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600)]), 0);
    let t = 0;
    for (let frame = 0; frame < 5; frame++, t += TICK_MS) s.tick(t, () => ({ dx: 0, dy: 1, buttons: 0 }));
    let server = { x: 800, y: 600 };
    for (const m of sent) server = step(server, m[1], m[2], world, movement);
    s.onSnapshot(snapshot(1010, sent.length, [entity(5, 1, server.x, server.y)]), t);
    expect(s.pendingInputs).toBe(0);
    expect(s.lastCorrection!.error).toBeLessThan(0.02);
    const f = s.frame(t + 500);
    expect(f.ack).toBe(sent.length);
    expect(f.entities.get(5)!.y).toBeCloseTo(server.y, 1);
  });

  it("draws static kinds (stars) where the newest snapshot has them, without the interpolation delay", () => {
    const sent: InputMsg[] = [];
    const s = new GameSession(welcome, (m) => sent.push(m), { staticKinds: [3] });
    s.onSnapshot(snapshot(1000, 0, [entity(300, 3, 100, 100), entity(9, 2, 100, 100)]), 0);
    s.onSnapshot(snapshot(1002, 0, [entity(300, 3, 900, 900), entity(9, 2, 104, 100)]), 2 * TICK_MS);
    const f = s.frame(2 * TICK_MS);
    expect(f.entities.get(300)).toMatchObject({ x: expect.closeTo(900, 0), y: expect.closeTo(900, 0), own: false });
    expect(f.entities.get(9)!.x).toBeLessThan(104); // ships are still drawn in the past
    s.onSnapshot(snapshot(1004, 0, [entity(9, 2, 108, 100)]), 4 * TICK_MS);
    expect(s.frame(4 * TICK_MS).entities.has(300)).toBe(false);
  });

  it("ignores stale snapshots and hides its own ship while it is not in the world", () => {
    const { s } = session();
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600)]), 0);
    s.onSnapshot(snapshot(999, 0, []), 1);
    expect(s.frame(2).entities.has(5)).toBe(true);
    s.onSnapshot(snapshot(1002, 0, [entity(9, 2, 100, 100)]), 40);
    expect(s.ownKindId).toBeNull();
    expect(s.frame(50).entities.has(5)).toBe(false);
  });

  it("reports net stats (rtt passed in) and takes prediction and interpolation tuning", () => {
    const s = new GameSession(welcome, () => {}, {
      interpolation: { delayIntervals: 3, jitterFactor: 0 },
      prediction: { snapDistance: 1 },
    });
    expect(s.interpolationDelayMs).toBeCloseTo(100, 5);
    for (let k = 0; k <= 30; k++) {
      s.onSnapshot(snapshot(1000 + 2 * k, 0, [entity(5, 1, 800 + 3 * k, 600), entity(9, 2, 300 + 4 * k, 300)]), k * 2 * TICK_MS + 40);
      s.frame(k * 2 * TICK_MS + 40);
    }
    s.onSnapshot(snapshot(1010, 0, []), 1000); // stale
    const n = s.netStats(42);
    expect(n.rttMs).toBe(42);
    expect(n.delayMs).toBeCloseTo(100, 5);
    expect(n.jitterMs).toBeCloseTo(0, 6);
    expect(n.snapshotRate).toBeGreaterThanOrEqual(29);
    expect(n.stale).toBe(1);
    expect(n.frames).toBe(31);
    expect(n.pendingInputs).toBe(0);
    // Our ship moved 3 units per snapshot against no input: over snapDistance 1, so each snapped.
    expect(n.prediction.snapped).toBeGreaterThan(0);
    expect(s.netStats().rttMs).toBeNull();
  });
});
