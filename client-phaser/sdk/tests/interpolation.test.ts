import { describe, expect, it } from "vitest";
import { Interpolator } from "../src/interpolation";
import { entity, snapshot } from "./world";

const TICK_MS = 1000 / 60;

function make() {
  return new Interpolator({ tickRate: 60, snapshotRate: 30, world: { width: 1600, height: 1200, walls: [] }, teleportSpeed: 480 });
}

/** A ship moving right at 240 units/s; snapshots every 2 ticks, arriving `latency` ms after their tick. */
function feed(interp: Interpolator, fromTick: number, toTick: number, latency = 50, skip: number[] = []) {
  for (let tick = fromTick; tick <= toTick; tick += 2) {
    if (skip.includes(tick)) continue;
    const x = 100 + tick * 4;
    interp.push(snapshot(tick, 0, [entity(7, 2, x, 500)]), tick * TICK_MS + latency);
  }
}

describe("Interpolator", () => {
  it("renders two snapshot intervals behind the estimated server time", () => {
    const i = make();
    expect(i.delayMs).toBeCloseTo(66.67, 1);
    feed(i, 0, 60, 50);
    // Local time of tick 60's arrival; server time there is tick 60 (+50 ms latency absorbed).
    const now = 60 * TICK_MS + 50;
    expect(i.renderTick(now)!).toBeCloseTo(56, 1);
  });

  it("blends linearly between the snapshots around the render time", () => {
    const i = make();
    feed(i, 0, 60, 50);
    const now = 60 * TICK_MS + 50;
    const out = i.sample(now);
    const e = out.get(7)!;
    expect(e.x).toBeCloseTo(100 + 56 * 4, 0);
    expect(e.kind).toBe(2);
  });

  it("moves smoothly frame by frame: never backwards, no step bigger than the motion allows", () => {
    const i = make();
    let lastX = -Infinity;
    // Snapshots with jitter up to 30 ms; frames every 16.7 ms (render up to tick 300).
    let seed = 3;
    const jitter = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 30;
    let nextTick = 0;
    for (let frame = 0; frame < 300; frame++) {
      const now = frame * TICK_MS + 40;
      while (nextTick <= frame) {
        const x = 100 + nextTick * 4;
        i.push(snapshot(nextTick, 0, [entity(7, 2, x, 500)]), nextTick * TICK_MS + 20 + jitter());
        nextTick += 2;
      }
      const e = i.sample(now).get(7);
      if (!e) continue;
      expect(e.x).toBeGreaterThanOrEqual(lastX - 1e-6);
      if (lastX !== -Infinity) expect(e.x - lastX).toBeLessThan(4 * 1.5);
      lastX = e.x;
    }
    expect(lastX).toBeGreaterThan(100 + 250 * 4);
  });

  it("keeps moving through a missing snapshot without a jump", () => {
    const i = make();
    feed(i, 0, 40, 50, [42, 44, 46]);
    const xs: number[] = [];
    for (let f = 0; f < 12; f++) {
      const tick = 42 + f;
      if (tick === 48) feed(i, 48, 48, 50);
      xs.push(i.sample(tick * TICK_MS + 50).get(7)!.x);
    }
    for (let k = 1; k < xs.length; k++) {
      const d = xs[k]! - xs[k - 1]!;
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(8);
    }
  });

  it("extrapolates briefly when snapshots stop, then holds, clamped inside the world", () => {
    const i = make();
    feed(i, 0, 20, 0);
    const last = 100 + 20 * 4;
    // Long after the last snapshot: at most 100 ms of extrapolation (24 units at 240/s).
    const held = i.sample(20 * TICK_MS + 2000).get(7)!;
    expect(held.x).toBeCloseTo(last + 24, 0);
    expect(i.sample(20 * TICK_MS + 3000).get(7)!.x).toBeCloseTo(held.x, 5);

    const edge = make();
    edge.push(snapshot(0, 0, [entity(1, 1, 1590, 10)]), 0);
    edge.push(snapshot(2, 0, [entity(1, 1, 1599, 10)]), TICK_MS * 2);
    expect(edge.sample(5000).get(1)!.x).toBeLessThanOrEqual(1600);
  });

  it("jumps instead of gliding when an entity moves further than it could (respawned star)", () => {
    const i = make();
    i.push(snapshot(0, 0, [entity(300, 3, 100, 100)]), 0);
    i.push(snapshot(2, 0, [entity(300, 3, 1500, 1100)]), 2 * TICK_MS);
    i.push(snapshot(4, 0, [entity(300, 3, 1500, 1100)]), 4 * TICK_MS);
    const at = (tick: number) => i.sampleAt(tick * TICK_MS).get(300)!;
    expect(at(1)).toMatchObject({ x: expect.closeTo(100, 1), y: expect.closeTo(100, 1) });
    expect(at(2.5)).toMatchObject({ x: expect.closeTo(1500, 1), y: expect.closeTo(1100, 1) });
  });

  it("adds entities when the render time reaches them and drops them when it passes their last snapshot", () => {
    const i = make();
    i.push(snapshot(0, 0, [entity(1, 1, 100, 100)]), 0);
    i.push(snapshot(2, 0, [entity(1, 1, 104, 100), entity(2, 2, 500, 500)]), 2 * TICK_MS);
    i.push(snapshot(4, 0, [entity(2, 2, 504, 500)]), 4 * TICK_MS);
    expect([...i.sampleAt(1 * TICK_MS).keys()]).toEqual([1]);
    expect([...i.sampleAt(3 * TICK_MS).keys()].sort()).toEqual([1, 2]);
    expect([...i.sampleAt(4 * TICK_MS).keys()]).toEqual([2]);
    expect([...i.sampleAt(10 * TICK_MS).keys()]).toEqual([2]);
  });

  it("ignores stale snapshots and resyncs its clock after a long gap", () => {
    const i = make();
    feed(i, 0, 20, 50);
    i.push(snapshot(10, 0, [entity(7, 2, 9999, 0)]), 1000);
    expect(i.newestTick).toBe(20);
    // The tab slept for 10 s: the next snapshots arrive with a very different offset.
    feed(i, 620, 640, 50 - 10_000);
    expect(i.renderTick(640 * TICK_MS + 50 - 10_000)!).toBeCloseTo(636, 0);
  });

  it("estimates the clock from the least-delayed snapshots", () => {
    const i = make();
    // Latency 40 ms, plus 60 ms of queueing on every other snapshot, the first one included.
    for (let tick = 0; tick <= 180; tick += 2) {
      const at = tick * TICK_MS + 40 + (tick % 4 === 0 ? 60 : 0);
      i.push(snapshot(tick, 0, [entity(7, 2, 100, 100)]), at);
      i.renderTick(at); // frames slew the render clock toward the estimate
    }
    expect(i.clockOffset!).toBeCloseTo(-40, 0);
  });

  it("smooths the uneven speed of a ship whose inputs reach the server in bursts", () => {
    // Inputs arrive 0, 2, 1, 1, 0, 2, … per tick: the same 4 units per tick on average, uneven per snapshot.
    const burst = [0, 2, 1, 1, 0, 2, 1, 1, 2, 0];
    const speeds = (smoothingMs: number) => {
      const i = new Interpolator({ tickRate: 60, snapshotRate: 30, world: { width: 1600, height: 1200, walls: [] }, teleportSpeed: 480, smoothingMs });
      let x = 100;
      const xs: number[] = [];
      for (let tick = 0; tick <= 240; tick++) {
        x += 4 * burst[tick % burst.length]!;
        if (tick % 2 === 0) i.push(snapshot(tick, 0, [entity(7, 2, x, 500)]), tick * TICK_MS + 30);
        if (tick > 30) xs.push(i.sample(tick * TICK_MS + 30).get(7)!.x);
      }
      const v = xs.slice(1).map((x, k) => x - xs[k]!);
      return { min: Math.min(...v), max: Math.max(...v) };
    };
    const raw = speeds(0);
    const smooth = speeds(2000 / 30);
    // Linear interpolation alone passes the bursts on (0 to 6 units per frame).
    expect(raw.max - raw.min).toBeGreaterThan(5);
    // Averaging over two snapshot intervals (the default) halves the spread at least.
    expect(smooth.max - smooth.min).toBeLessThan((raw.max - raw.min) / 2);
    expect(smooth.min).toBeGreaterThan(2);
  });

  it("does not smooth across a jump or a missing entity (no ghost half-way)", () => {
    const i = make();
    i.push(snapshot(0, 0, [entity(300, 3, 100, 100), entity(1, 1, 500, 500)]), 0);
    i.push(snapshot(2, 0, [entity(300, 3, 1500, 1100), entity(1, 1, 504, 500)]), 2 * TICK_MS);
    i.push(snapshot(4, 0, [entity(300, 3, 1500, 1100)]), 4 * TICK_MS);
    for (const tick of [1.6, 2, 2.4, 3.9, 4.1]) {
      const star = i.sampleSmoothed(tick * TICK_MS).get(300)!;
      const atEnd = Math.abs(star.x - 100) < 1 || Math.abs(star.x - 1500) < 1;
      expect(atEnd, `star at ${star.x} for tick ${tick}`).toBe(true);
    }
    expect(i.sampleSmoothed(3.9 * TICK_MS).get(1)!.x).toBeCloseTo(504, 0);
    expect(i.sampleSmoothed(4.1 * TICK_MS).has(1)).toBe(false);
  });

  it("reset forgets everything", () => {
    const i = make();
    feed(i, 0, 10);
    i.reset();
    expect(i.size).toBe(0);
    expect(i.sample(1000).size).toBe(0);
    expect(i.clockOffset).toBeNull();
  });
});
