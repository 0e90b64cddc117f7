/**
 * The interpolator under hostile timing, simulated without a clock: snapshots with jitter, bursts
 * after stalls, drops, out-of-order arrival; frames every ~16 ms with hitches of 100+ ms. Each
 * property is checked over many seeds of a small seeded PRNG, so a failure names its seed and
 * replays exactly.
 */
import { describe, expect, it } from "vitest";
import { Interpolator } from "../src/interpolation";
import { entity, snapshot } from "./world";

const TICK_MS = 1000 / 60;
const WORLD = { width: 1600, height: 1200, walls: [] };
const SEEDS = 60;

/** mulberry32: a tiny deterministic PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Timing {
  /** Arrival jitter: uniform in ±jitter ms around the base latency. */
  readonly jitterMs: number;
  /** Chance per snapshot of starting a 500 ms stall (everything due in it arrives at its end, at once). */
  readonly stallChance: number;
  readonly dropChance: number;
  /** Chance per snapshot of swapping its arrival with the next one's. */
  readonly reorderChance: number;
  /** Chance per frame of a hitch of 100 to 250 ms instead of ~16 ms. */
  readonly hitchChance: number;
  /** Latency added from half-time on (a route change), ms. Default 0. */
  readonly latencyStepMs?: number;
}

const HOSTILE: Timing = { jitterMs: 30, stallChance: 0.01, dropChance: 0.05, reorderChance: 0.05, hitchChance: 0.03 };

/** Where the mover is at `tick`: along (ux, uy), monotone in tick. */
type Path = (tick: number) => number;

interface Run {
  /** Per frame: local time, render time, drawn position, newest tick pushed. */
  readonly frames: { now: number; t: number; x: number; y: number; newestTick: number }[];
  readonly interp: Interpolator;
}

/**
 * Runs `seconds` of play: a mover whose distance along (ux, uy) from (100, 300) is `path(tick)`,
 * snapshots every 2 ticks arriving 40 ms after their tick plus the `timing` faults, frames ~16 ms.
 */
function simulate(seed: number, timing: Timing, seconds: number, path: Path, ux = 1, uy = 0, interp?: Interpolator): Run {
  const rnd = prng(seed);
  const i = interp ?? new Interpolator({ tickRate: 60, snapshotRate: 30, world: WORLD, teleportSpeed: 480 });
  const lastTick = Math.floor((seconds * 1000) / TICK_MS);
  // Arrival times.
  const arrivals: { at: number; tick: number }[] = [];
  let stallUntil = -Infinity;
  for (let tick = 0; tick <= lastTick; tick += 2) {
    if (rnd() < timing.dropChance) continue;
    const step = tick > lastTick / 2 ? (timing.latencyStepMs ?? 0) : 0;
    let at = tick * TICK_MS + 40 + step + (rnd() * 2 - 1) * timing.jitterMs;
    if (at < stallUntil) at = stallUntil;
    else if (rnd() < timing.stallChance) {
      stallUntil = at + 500;
      at = stallUntil;
    }
    arrivals.push({ at, tick });
  }
  for (let k = 0; k + 1 < arrivals.length; k++) {
    if (rnd() < timing.reorderChance) {
      const a = arrivals[k]!;
      const b = arrivals[k + 1]!;
      [a.at, b.at] = [b.at, a.at];
    }
  }
  arrivals.sort((a, b) => a.at - b.at);
  const frames: Run["frames"] = [];
  let next = 0;
  let newestTick = -1;
  for (let now = 60; now < seconds * 1000 + 60; ) {
    while (next < arrivals.length && arrivals[next]!.at <= now) {
      const { tick, at } = arrivals[next++]!;
      const d = path(tick);
      i.push(snapshot(tick, 0, [entity(7, 2, 100 + d * ux, 300 + d * uy)]), at);
      newestTick = Math.max(newestTick, tick);
    }
    const e = i.sample(now).get(7);
    const t = i.renderTime(now);
    if (e && t !== null) frames.push({ now, t, x: e.x, y: e.y, newestTick });
    now += rnd() < timing.hitchChance ? 100 + rnd() * 150 : 16 + rnd() * 1.5;
  }
  return { frames, interp: i };
}

const steady: Path = (tick) => tick * 2; // 120 units/s

describe("Interpolator under hostile timing (seeded, many seeds)", () => {
  it("a mover at constant velocity is never drawn moving backwards, and keeps up", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { frames } = simulate(seed, HOSTILE, 8, steady);
      expect(frames.length, `seed ${seed}`).toBeGreaterThan(300);
      for (let k = 1; k < frames.length; k++) {
        const step = frames[k]!.x - frames[k - 1]!.x;
        if (step < -1e-9) throw new Error(`seed ${seed}: stepped back ${step} at frame ${k} (t=${frames[k]!.now.toFixed(1)} ms)`);
        expect(Math.abs(frames[k]!.y - 300), `seed ${seed}: y stays`).toBeLessThan(0.05);
      }
      // Progress: by the end it is drawn within a few hundred ms of the newest snapshot.
      const last = frames.at(-1)!;
      expect(last.x, `seed ${seed}`).toBeGreaterThan(100 + steady(last.newestTick) - 0.4 * 120);
    }
  });

  it("the same along any direction of motion, and for a mover whose speed is uneven", () => {
    // Inputs reach the server in bursts: 0, 2, 1, 1, 3, 0, 1, … steps per tick (monotone, uneven).
    const burst = [0, 2, 1, 1, 3, 0, 1, 0, 2, 2];
    const cum = [0];
    for (let k = 1; k <= 2000; k++) cum.push(cum[k - 1]! + 2 * burst[k % burst.length]!);
    const uneven: Path = (tick) => cum[tick]! / 2;
    const [ux, uy] = [0.8, -0.6];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { frames } = simulate(seed, HOSTILE, 6, uneven, ux, uy);
      // (Quantization of x and y apart tilts each step's direction a hair: 1e-3 is far below a unit.)
      for (let k = 1; k < frames.length; k++) {
        const a = frames[k - 1]!;
        const b = frames[k]!;
        const along = (b.x - a.x) * ux + (b.y - a.y) * uy;
        if (along < -1e-3) throw new Error(`seed ${seed}: stepped back ${along} at frame ${k} (t=${b.now.toFixed(1)} ms)`);
      }
    }
  });

  it("the render time never decreases, through hitches, stalls, delay changes and a route change", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      // Every other seed, the latency grows by 400 ms half-way (the clock estimate drops by that).
      const timing = { ...HOSTILE, stallChance: 0.03, hitchChance: 0.1, latencyStepMs: seed % 2 === 0 ? 400 : 0 };
      const { frames } = simulate(seed, timing, 6, steady);
      for (let k = 1; k < frames.length; k++) {
        if (frames[k]!.t < frames[k - 1]!.t) throw new Error(`seed ${seed}: render time ran back at frame ${k}`);
        if (frames[k]!.x < frames[k - 1]!.x - 1e-9) throw new Error(`seed ${seed}: stepped back at frame ${k}`);
      }
      expect(frames.at(-1)!.x, `seed ${seed}: it goes on`).toBeGreaterThan(100 + steady(frames.at(-1)!.newestTick) - 60);
    }
  });

  it("extrapolation never runs past its bound", () => {
    const maxExtrapolationMs = 100;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { frames, interp } = simulate(seed, { ...HOSTILE, stallChance: 0.05 }, 6, steady);
      for (const f of frames) {
        // Newest position known, plus 100 ms at 120 units/s (quantization aside).
        const bound = 100 + steady(f.newestTick) + (120 * maxExtrapolationMs) / 1000 + 0.1;
        if (f.x > bound) throw new Error(`seed ${seed}: drawn at ${f.x}, past the bound ${bound} at ${f.now.toFixed(1)} ms`);
      }
      const s = interp.stats();
      expect(s.extrapolatedFrames, `seed ${seed}: stalls make it extrapolate`).toBeGreaterThan(0);
      expect(s.frames).toBeGreaterThan(s.extrapolatedFrames);
    }
  });

  it("a late snapshot after extrapolation is faded in, not snapped back (the mover slowed down)", () => {
    const i = new Interpolator({ tickRate: 60, snapshotRate: 30, world: WORLD, teleportSpeed: 480 });
    // 240 units/s up to tick 40, then 60 units/s; snapshots from tick 42 on arrive 150 ms late.
    const x = (tick: number) => (tick <= 40 ? tick * 4 : 160 + (tick - 40));
    const xs: number[] = [];
    let pushed = 0;
    for (let now = 40; now < 2000; now += 16) {
      while (pushed * TICK_MS + 40 + (pushed > 40 ? 150 : 0) <= now) {
        i.push(snapshot(pushed, 0, [entity(7, 2, 100 + x(pushed), 500)]), pushed * TICK_MS + 40 + (pushed > 40 ? 150 : 0));
        pushed += 2;
      }
      xs.push(i.sample(now).get(7)!.x);
    }
    for (let k = 1; k < xs.length; k++) expect(xs[k]!).toBeGreaterThanOrEqual(xs[k - 1]! - 1e-9);
    expect(i.stats().corrections).toBeGreaterThan(0);
    expect(i.stats().snaps).toBe(0);
    // It ends on the true path: by 2 s the render time is at tick ~110, x 100 + 160 + 70.
    const t = i.renderTick(1984)!;
    expect(xs.at(-1)!).toBeCloseTo(100 + x(t), 0);
  });

  it("a mover that stops after being extrapolated past its stop comes back to it", () => {
    const i = new Interpolator({ tickRate: 60, snapshotRate: 30, world: WORLD, teleportSpeed: 480 });
    const x = (tick: number) => Math.min(tick, 40) * 4;
    let pushed = 0;
    let last = 0;
    for (let now = 40; now < 3000; now += 16) {
      // Tick 42 and 44 arrive 200 ms late: the render time runs past tick 40 meanwhile.
      const at = (tick: number) => tick * TICK_MS + 40 + (tick === 42 || tick === 44 ? 200 : 0);
      while (at(pushed) <= now || (pushed === 46 && at(42) <= now)) {
        i.push(snapshot(pushed, 0, [entity(7, 2, 100 + x(pushed), 500)]), Math.max(at(pushed), now));
        pushed += 2;
        if (pushed === 42 && at(42) > now) break;
      }
      last = i.sample(now).get(7)!.x;
    }
    expect(last).toBeCloseTo(100 + 160, 1);
  });

  it("the delay adapts up with jitter and back down when it calms", () => {
    const i = new Interpolator({ tickRate: 60, snapshotRate: 30, world: WORLD });
    const base = i.baseDelayMs;
    expect(base).toBeCloseTo(66.67, 1);
    const rnd = prng(42);
    const run = (fromTick: number, toTick: number, jitter: number) => {
      for (let tick = fromTick; tick <= toTick; tick += 2) {
        const at = tick * TICK_MS + 40 + (rnd() * 2 - 1) * jitter;
        i.push(snapshot(tick, 0, [entity(7, 2, 500, 500)]), at);
        i.sample(at);
      }
    };
    run(0, 180, 0); // 3 s calm
    expect(i.delayMs).toBeCloseTo(base, 3);
    expect(i.stats().jitterMs).toBeCloseTo(0, 6);
    run(182, 480, 30); // 5 s of ±30 ms
    const jittery = i.stats();
    expect(jittery.jitterMs).toBeGreaterThan(25);
    expect(jittery.jitterMs).toBeLessThan(60);
    expect(jittery.delayMs).toBeGreaterThan(base + 40);
    expect(jittery.delayMs).toBeLessThanOrEqual(250);
    run(482, 1680, 0); // 20 s calm
    expect(i.delayMs).toBeLessThan(base + 2);
    // A 500 ms stall (a burst arrives at once) raises it, bounded by maxDelayMs.
    for (let tick = 1682; tick <= 1712; tick += 2) i.push(snapshot(tick, 0, [entity(7, 2, 500, 500)]), 1712 * TICK_MS + 40);
    expect(i.delayMs).toBeGreaterThan(base + 50);
    expect(i.delayMs).toBeLessThanOrEqual(250);
  });

  it("reports the snapshot rate and the extrapolation fraction of the last second", () => {
    const i = new Interpolator({ tickRate: 60, snapshotRate: 30, world: WORLD });
    for (let tick = 0; tick <= 120; tick += 2) {
      i.push(snapshot(tick, 0, [entity(7, 2, 100 + tick, 500)]), tick * TICK_MS + 40);
      i.sample(tick * TICK_MS + 40);
    }
    const calm = i.stats();
    expect(calm.snapshotRate).toBeGreaterThanOrEqual(29);
    expect(calm.snapshotRate).toBeLessThanOrEqual(31);
    expect(calm.extrapolationFraction).toBe(0);
    expect(calm.bufferMs!).toBeGreaterThan(0);
    // Then nothing for a second: every frame extrapolates (or holds).
    for (let now = 120 * TICK_MS + 56; now < 120 * TICK_MS + 1100; now += 16) i.sample(now);
    const dry = i.stats();
    expect(dry.snapshotRate).toBe(0);
    expect(dry.extrapolationFraction).toBeGreaterThan(0.9);
    expect(dry.bufferMs!).toBeLessThan(0);
  });

  it("after any path (turns, stops, hostile timing) it ends exactly where the entity rests", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rnd = prng(1000 + seed);
      const i = new Interpolator({ tickRate: 60, snapshotRate: 30, world: WORLD, teleportSpeed: 480 });
      // Legs of 0.2 to 0.6 s in random directions (some standing still), then rest.
      let pos = { x: 800, y: 600 };
      const at: { x: number; y: number }[] = [];
      let leg = { vx: 0, vy: 0, until: 0 };
      for (let tick = 0; tick <= 300; tick++) {
        if (tick >= leg.until) {
          const a = rnd() * Math.PI * 2;
          const still = rnd() < 0.3;
          leg = { vx: still ? 0 : Math.cos(a) * 4, vy: still ? 0 : Math.sin(a) * 4, until: tick + 12 + Math.floor(rnd() * 24) };
        }
        if (tick < 240) pos = { x: pos.x + leg.vx, y: pos.y + leg.vy };
        at.push(pos);
      }
      const timing = { ...HOSTILE, stallChance: 0.03, hitchChance: 0.1 };
      // Hostile for 4 s (ticks up to 240, where it stops), then 1 s calm at rest.
      const rndT = prng(seed);
      let now = 60;
      let pushedUpTo = -1;
      const arrivals: { at: number; tick: number }[] = [];
      let stallUntil = -Infinity;
      for (let tick = 0; tick <= 300; tick += 2) {
        const calm = tick > 240;
        if (!calm && rndT() < timing.dropChance) continue;
        let t = tick * TICK_MS + 40 + (calm ? 0 : (rndT() * 2 - 1) * timing.jitterMs);
        if (t < stallUntil) t = stallUntil;
        else if (!calm && rndT() < timing.stallChance) t = stallUntil = t + 500;
        arrivals.push({ at: t, tick });
      }
      arrivals.sort((a, b) => a.at - b.at);
      let k = 0;
      let drawn = { x: 0, y: 0 };
      while (now < 300 * TICK_MS + 1500) {
        while (k < arrivals.length && arrivals[k]!.at <= now) {
          const tick = arrivals[k++]!.tick;
          pushedUpTo = Math.max(pushedUpTo, tick);
          i.push(snapshot(tick, 0, [entity(7, 2, at[tick]!.x, at[tick]!.y)]), now);
        }
        drawn = i.sample(now).get(7)!;
        now += rndT() < timing.hitchChance && now < 240 * TICK_MS ? 100 + rndT() * 150 : 16;
      }
      const rest = entity(7, 2, at[300]!.x, at[300]!.y);
      expect(pushedUpTo).toBe(300);
      expect(Math.hypot(drawn.x - rest.x, drawn.y - rest.y), `seed ${seed}: ${JSON.stringify([drawn, rest])}`).toBeLessThan(1e-3);
    }
  });
});
