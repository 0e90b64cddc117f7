import { describe, expect, it } from "vitest";
import { step, type Vec2 } from "../src/movement";
import { Predictor } from "../src/prediction";
import { entity, movement, world } from "./world";

/** A stand-in for the server: applies inputs in order, reports quantized positions. */
class FakeServer {
  pos: Vec2;
  ack = 0;
  constructor(start: Vec2) {
    this.pos = start;
  }
  apply(seq: number, dx: number, dy: number): void {
    this.pos = step(this.pos, dx, dy, world, movement);
    this.ack = seq;
  }
  seen(): Vec2 {
    const e = entity(1, 1, this.pos.x, this.pos.y);
    return { x: e.x, y: e.y };
  }
}

describe("Predictor", () => {
  it("has no position before the first snapshot, then replays every unacknowledged input", () => {
    const p = new Predictor(world, movement);
    p.applyInput([1, 1, 0, 0]);
    p.applyInput([2, 1, 0, 0]);
    expect(p.position).toBeNull();
    expect(p.renderPosition()).toBeNull();
    const c = p.reconcile(0, { x: 800, y: 600 });
    expect(c.replayed).toBe(2);
    expect(p.position!.x).toBeCloseTo(808, 4);
  });

  it("moves at once on input, before any server answer", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    p.applyInput([1, 1, 0, 0]);
    expect(p.position).toEqual(step({ x: 800, y: 600 }, 1, 0, world, movement));
  });

  it("agrees with a server that applies the same inputs: corrections stay below quantization error", () => {
    const server = new FakeServer({ x: 700, y: 150 });
    const p = new Predictor(world, movement);
    p.reconcile(0, server.seen());
    const queue: [number, number, number][] = [];
    for (let seq = 1; seq <= 600; seq++) {
      const dx = Math.fround(Math.cos(seq / 40));
      const dy = Math.fround(Math.sin(seq / 25));
      p.applyInput([seq, dx, dy, 0]);
      queue.push([seq, dx, dy]);
      // The server lags 6 inputs behind (latency) and sends a snapshot every second tick.
      if (queue.length > 6) server.apply(...queue.shift()!);
      if (seq % 2 === 0) {
        const c = p.reconcile(server.ack, server.seen());
        expect(c.error).toBeLessThan(0.05);
        expect(c.snapped).toBe(false);
        expect(p.pendingCount).toBe(Math.min(seq, 6));
      }
    }
  });

  it("smooths a small correction out over about 100 ms instead of jumping", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    for (let seq = 1; seq <= 10; seq++) p.applyInput([seq, 1, 0, 0]);
    const before = p.renderPosition()!;
    // The server applied only 9 steps for the same 10 inputs (one was lost): 4 units behind.
    let truth: Vec2 = { x: 800, y: 600 };
    for (let i = 0; i < 9; i++) truth = step(truth, 1, 0, world, movement);
    const c = p.reconcile(10, truth);
    expect(c.error).toBeCloseTo(4, 3);
    expect(c.snapped).toBe(false);
    expect(p.position!.x).toBeCloseTo(truth.x, 5);
    expect(p.renderPosition()!.x).toBeCloseTo(before.x, 5); // no visible jump
    p.advance(50);
    const mid = p.renderPosition()!.x - truth.x;
    expect(mid).toBeGreaterThan(0.1);
    expect(mid).toBeLessThan(4 * 0.3);
    p.advance(50);
    expect(p.renderPosition()!.x - truth.x).toBeLessThan(4 * 0.06);
    p.advance(200);
    expect(p.renderPosition()!.x).toBe(truth.x);
  });

  it("snaps when the correction is large (a respawn)", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    p.applyInput([1, 1, 0, 0]);
    const c = p.reconcile(1, { x: 100, y: 1000 });
    expect(c.snapped).toBe(true);
    expect(p.renderPosition()).toEqual({ x: 100, y: 1000 });
  });

  it("drops acknowledged inputs across the seq wrap", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    for (const seq of [0xfffffffe, 0xffffffff, 0, 1]) p.applyInput([seq, 1, 0, 0]);
    p.reconcile(0xffffffff, { x: 808, y: 600 });
    expect(p.pendingCount).toBe(2);
    p.reconcile(1, { x: 816, y: 600 });
    expect(p.pendingCount).toBe(0);
  });

  it("keeps its prediction when our entity is absent from a snapshot", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    p.applyInput([1, 1, 0, 0]);
    const at = p.position;
    const c = p.reconcile(1, null);
    expect(c.error).toBe(0);
    expect(p.position).toEqual(at);
    expect(p.pendingCount).toBe(0);
  });

  it("does not teleport along a wall it rests on when the snapshot decodes a hair inside", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 200, y: 184.01 });
    p.applyInput([1, 1, 0, 0]);
    expect(p.position!.x).toBeCloseTo(204, 4);
    expect(p.position!.y).toBe(184);
  });

  it("draws between the last two steps with alpha", () => {
    const p = new Predictor(world, movement);
    p.reconcile(0, { x: 800, y: 600 });
    p.applyInput([1, 1, 0, 0]);
    expect(p.renderPosition(0)!.x).toBe(800);
    expect(p.renderPosition(0.5)!.x).toBeCloseTo(802, 4);
    expect(p.renderPosition(1)!.x).toBeCloseTo(804, 4);
  });

  it("bounds the pending list", () => {
    const p = new Predictor(world, movement, { maxPending: 8 });
    for (let seq = 1; seq <= 20; seq++) p.applyInput([seq, 0, 0, 0]);
    expect(p.pendingCount).toBe(8);
  });

  describe("after a stall (no snapshots for 500 ms, then a burst)", () => {
    /**
     * 60 Hz inputs to the right; the server answers 6 inputs behind with a snapshot every 2 ticks,
     * except for a 500 ms stall, after which its held snapshots arrive in one frame. The server lost
     * `lost` of the inputs sent during the stall. Returns the drawn x of every 16.7 ms frame.
     */
    function stall(lost: number, options: ConstructorParameters<typeof Predictor>[2] = {}) {
      const server = new FakeServer({ x: 300, y: 600 });
      const p = new Predictor(world, movement, options);
      p.reconcile(0, server.seen());
      const queue: number[] = [];
      const held: [number, Vec2][] = [];
      const xs: number[] = [];
      const corrections: ReturnType<Predictor["reconcile"]>[] = [];
      let dropped = 0;
      for (let seq = 1; seq <= 120; seq++) {
        p.applyInput([seq, 1, 0, 0]);
        queue.push(seq);
        const stalled = seq > 30 && seq <= 60;
        if (queue.length > 6) {
          const s = queue.shift()!;
          if (stalled && dropped < lost) {
            dropped++;
            server.ack = s; // processed, but not applied (over the burst limit)
          } else server.apply(s, 1, 0);
        }
        if (seq % 2 === 0) {
          if (stalled) held.push([server.ack, server.seen()]);
          else {
            for (const [ack, at] of held.splice(0)) corrections.push(p.reconcile(ack, at));
            corrections.push(p.reconcile(server.ack, server.seen()));
          }
        }
        p.advance(1000 / 60);
        xs.push(p.renderPosition()!.x);
      }
      return { xs, corrections, p, server };
    }

    it("fades a small error out over a few frames: no visible jump, never a step back", () => {
      const { xs, corrections, p, server } = stall(2); // 8 units off
      const big = corrections.filter((c) => c.error > 1);
      expect(big.length).toBeGreaterThan(0);
      expect(big.every((c) => !c.snapped)).toBe(true);
      const steps = xs.slice(1).map((x, k) => x - xs[k]!);
      // A step is 4 units; the fade adds at most a little to the slowdown, and never reverses it.
      expect(Math.min(...steps)).toBeGreaterThan(0);
      expect(Math.max(...steps)).toBeLessThan(4 + 0.01);
      expect(Math.max(...steps.slice(61)) - Math.min(...steps.slice(61))).toBeLessThan(4);
      // Faded out by the end; prediction agrees with the server again.
      expect(Math.hypot(p.offset.x, p.offset.y)).toBeLessThan(0.05); // quantization only
      expect(p.stats.smoothed).toBeGreaterThan(0);
      expect(p.stats.snapped).toBe(0);
      expect(p.stats.lastError).toBeCloseTo(8, 0);
      expect(Math.abs(p.position!.x - (server.pos.x + 6 * 4))).toBeLessThan(0.05);
    });

    it("snaps a large error at once", () => {
      const { xs, corrections, p } = stall(25); // 100 units off, over the default 65
      const snap = corrections.find((c) => c.snapped);
      expect(snap).toBeDefined();
      // The burst's snapshots each add 8 units; the sum passes the default 65 and snaps.
      expect(corrections.reduce((sum, c) => sum + c.error, 0)).toBeGreaterThan(65);
      const steps = xs.slice(1).map((x, k) => x - xs[k]!);
      expect(Math.min(...steps)).toBeLessThan(-50); // one jump back, not a slow slide
      expect(p.stats.snapped).toBe(1);
      expect(Math.hypot(p.offset.x, p.offset.y)).toBeLessThan(0.05);
    });

    it("the snap threshold is an option", () => {
      const small = stall(2, { snapDistance: 4 });
      expect(small.corrections.some((c) => c.snapped)).toBe(true);
      const large = stall(25, { snapDistance: 500, smoothingMs: 300 });
      expect(large.corrections.some((c) => c.snapped)).toBe(false);
      expect(large.p.stats.smoothed).toBeGreaterThan(0);
    });
  });
});
