import { describe, expect, it } from "vitest";
import { clampDirection, clampToWorld, depenetrate, overlaps, step } from "../src/movement";
import { movement, world } from "./world";

const f = Math.fround;
const stepLen = f(f(240 * f(1 / 60)));

describe("movement step (PROTOCOL.md)", () => {
  it("moves max_speed * dt per input along the direction", () => {
    expect(step({ x: 800, y: 600 }, 1, 0, world, movement)).toEqual({ x: f(800 + stepLen), y: 600 });
    expect(step({ x: 800, y: 600 }, 0, -1, world, movement)).toEqual({ x: 800, y: f(600 - stepLen) });
    expect(step({ x: 800, y: 600 }, 0, 0, world, movement)).toEqual({ x: 800, y: 600 });
  });

  it("clamps the direction to length 1 but keeps shorter ones", () => {
    const diag = step({ x: 800, y: 600 }, 1, 1, world, movement);
    const n = f(1 / f(Math.sqrt(2)));
    expect(diag.x).toBe(f(800 + f(f(f(1 / f(Math.sqrt(2))) * 240) * f(1 / 60))));
    expect(Math.hypot(diag.x - 800, diag.y - 600)).toBeCloseTo(4, 4);
    expect(n).toBeGreaterThan(0.7);
    const half = step({ x: 800, y: 600 }, 0.5, 0, world, movement);
    expect(half.x).toBeCloseTo(802, 5);
    const big = step({ x: 800, y: 600 }, 1000, 0, world, movement);
    expect(big.x).toBe(f(800 + stepLen));
  });

  it("works in f32: every coordinate is an f32 value", () => {
    let p = { x: 333.3, y: 777.7 };
    for (let i = 0; i < 500; i++) {
      p = step(p, Math.cos(i / 7), Math.sin(i / 11), world, movement);
      expect(f(p.x)).toBe(p.x);
      expect(f(p.y)).toBe(p.y);
    }
  });

  it("stops at a wall from each side", () => {
    // Wall [100, 200, 300, 32]; radius 16.
    expect(step({ x: 83, y: 210 }, 1, 0, world, movement)).toEqual({ x: 84, y: 210 });
    expect(step({ x: 417, y: 210 }, -1, 0, world, movement)).toEqual({ x: 416, y: 210 });
    expect(step({ x: 200, y: 183 }, 0, 1, world, movement)).toEqual({ x: 200, y: 184 });
    expect(step({ x: 200, y: 249 }, 0, -1, world, movement)).toEqual({ x: 200, y: 248 });
  });

  it("slides along a wall when moving diagonally into it", () => {
    const p = step({ x: 200, y: 184 }, 1, 1, world, movement);
    expect(p.y).toBe(184);
    expect(p.x).toBeGreaterThan(200);
  });

  it("touching is not overlapping (the test is strict)", () => {
    expect(overlaps(84, 210, 16, [100, 200, 300, 32])).toBe(false);
    expect(overlaps(84.01, 210, 16, [100, 200, 300, 32])).toBe(true);
    expect(step({ x: 84, y: 210 }, 0, 1, world, movement)).toEqual({ x: 84, y: f(210 + stepLen) });
  });

  it("keeps the box inside the world", () => {
    expect(step({ x: 17, y: 600 }, -1, 0, world, movement)).toEqual({ x: 16, y: 600 });
    expect(step({ x: 1583, y: 1183 }, 1, 1, world, movement)).toEqual({ x: 1584, y: 1184 });
  });

  it("never ends inside a wall or outside the world from a valid start", () => {
    let p = { x: 250, y: 150 };
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    for (let i = 0; i < 5000; i++) {
      p = step(p, rnd(), rnd(), world, movement);
      expect(overlaps(p.x, p.y, 16, world.walls[0]!)).toBe(false);
      expect(p.x).toBeGreaterThanOrEqual(16);
      expect(p.x).toBeLessThanOrEqual(1584);
    }
  });
});

describe("depenetrate", () => {
  it("pushes a quantization-deep overlap out along the shallowest side", () => {
    expect(depenetrate({ x: 84.01, y: 210 }, world, 16)).toEqual({ x: 84, y: 210 });
    expect(depenetrate({ x: 200, y: 247.99 }, world, 16)).toEqual({ x: 200, y: 248 });
  });

  it("leaves deep overlaps and free positions alone", () => {
    expect(depenetrate({ x: 200, y: 216 }, world, 16)).toEqual({ x: 200, y: 216 });
    expect(depenetrate({ x: 700, y: 700 }, world, 16)).toEqual({ x: 700, y: 700 });
  });

  it("a ship flush on a wall that decodes a hair inside still slides along it", () => {
    // Resting on top of the wall (y = 184), decoded 0.01 lower, moving right along it: the sweep
    // treats it as touching (CONTACT_EPSILON), so it is neither stopped nor thrown anywhere.
    const inside = { x: 200, y: 184.01 };
    expect(step(inside, 1, 0, world, movement)).toEqual({ x: f(200 + stepLen), y: f(184.01) });
    expect(step(depenetrate(inside, world, 16), 1, 0, world, movement).x).toBe(f(200 + stepLen));
  });
});

describe("server parity details", () => {
  it("a box already deep inside a wall (never produced by the server) is not thrown out of it", () => {
    // The sweep only stops at walls ahead of the box; one it is already inside does not teleport it.
    const p = step({ x: 110, y: 210 }, 0, 1, world, movement);
    expect(p).toEqual({ x: 110, y: f(210 + stepLen) });
  });

  it("a long step does not tunnel through a thin wall", () => {
    const thin = { width: 1000, height: 1000, walls: [[500, 0, 1, 1000]] as [number, number, number, number][] };
    const fast = { ...movement, max_speed: 60000 };
    expect(step({ x: 300, y: 500 }, 1, 0, thin, fast).x).toBe(f(500 - 16));
  });

  it("clampDirection keeps what the client sends inside the unit disc, in f32", () => {
    expect(clampDirection(3, 4)).toEqual({ x: f(0.6), y: f(0.8) });
    expect(clampDirection(0.3, -0.4)).toEqual({ x: f(0.3), y: f(-0.4) });
    expect(clampDirection(Number.NaN, 1)).toEqual({ x: 0, y: 1 });
    expect(Object.is(clampDirection(-0, 0).x, 0)).toBe(true);
    const d = clampDirection(1, 1);
    expect(Math.abs(d.x)).toBeLessThanOrEqual(1);
  });

  it("clamping caps the radius at half a tiny world", () => {
    const tiny = { width: 20, height: 20, walls: [] };
    expect(clampToWorld(0, 30, 16, tiny)).toEqual({ x: 10, y: 10 });
  });
});

describe("parity with the server's movement step (golden file)", () => {
  it("lands on the same f32 bits as the Rust step for every case in movement_v1.json", async () => {
    const { readFileSync } = await import("node:fs");
    const { fileURLToPath } = await import("node:url");
    const path = fileURLToPath(new URL("../../../shared/tests/fixtures/movement_v1.json", import.meta.url));
    const golden = JSON.parse(readFileSync(path, "utf8")) as {
      world: { width: number; height: number; walls: [number, number, number, number][] };
      movement: { max_speed: number; radius: number; dt: number };
      cases: { from: [number, number]; dir: [number, number]; to: [number, number] }[];
    };
    expect(golden.cases.length).toBeGreaterThan(100);
    for (const c of golden.cases) {
      const got = step({ x: c.from[0], y: c.from[1] }, c.dir[0], c.dir[1], golden.world, golden.movement);
      expect([got.x, got.y], `from ${c.from} dir ${c.dir}`).toEqual([f(c.to[0]), f(c.to[1])]);
    }
  });
});
