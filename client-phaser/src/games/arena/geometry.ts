/** Rays against Arena's walls and boxes: where a bolt or a rail beam stops. No Phaser here. */
import type { World } from "tickstate-sdk";

/**
 * Distance along the unit direction (dx, dy) from (x, y) at which a box of half-size `r` centred
 * on the ray first touches the axis-aligned box [x0, y0, x1, y1], or null if it never does within
 * `maxT`. A ray that starts inside the box reports null (it is leaving it).
 */
export function rayBox(
  x: number,
  y: number,
  dx: number,
  dy: number,
  box: readonly [number, number, number, number],
  r: number,
  maxT: number,
): number | null {
  const [bx0, by0, bx1, by1] = [box[0] - r, box[1] - r, box[2] + r, box[3] + r];
  if (x > bx0 && x < bx1 && y > by0 && y < by1) return null;
  let tmin = 0;
  let tmax = maxT;
  for (const [p, d, lo, hi] of [
    [x, dx, bx0, bx1],
    [y, dy, by0, by1],
  ] as const) {
    if (Math.abs(d) < 1e-9) {
      if (p <= lo || p >= hi) return null;
      continue;
    }
    let t0 = (lo - p) / d;
    let t1 = (hi - p) / d;
    if (t0 > t1) [t0, t1] = [t1, t0];
    tmin = Math.max(tmin, t0);
    tmax = Math.min(tmax, t1);
    if (tmin > tmax) return null;
  }
  return tmin;
}

/**
 * How far a box of half-size `r` travels from (x, y) along the unit direction (dx, dy) before a
 * wall or the world's edge stops it (at most `maxT`).
 */
export function distanceToWall(world: World, x: number, y: number, dx: number, dy: number, r: number, maxT: number): number {
  let best = maxT;
  for (const [wx, wy, ww, wh] of world.walls) {
    const t = rayBox(x, y, dx, dy, [wx, wy, wx + ww, wy + wh], r, best);
    if (t !== null && t < best) best = t;
  }
  // The world's edges: the centre stays within [r, size - r].
  if (dx > 1e-9) best = Math.min(best, Math.max(0, (world.width - r - x) / dx));
  if (dx < -1e-9) best = Math.min(best, Math.max(0, (r - x) / dx));
  if (dy > 1e-9) best = Math.min(best, Math.max(0, (world.height - r - y) / dy));
  if (dy < -1e-9) best = Math.min(best, Math.max(0, (r - y) / dy));
  return best;
}

/** A target a ray may hit: its id, centre and half-size. */
export interface RayTarget {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

/**
 * A hitscan beam from (x, y) along `angle`, `range` long: where it stops (the first wall or
 * target) and the target it hit, if any. What the rail's predicted beam shows at once.
 */
export function castBeam(
  world: World,
  x: number,
  y: number,
  angle: number,
  range: number,
  targets: Iterable<RayTarget>,
): { to: [number, number]; hit: number | null } {
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  let best = 0;
  // Walls stop the beam (a zero-width ray), not the world's edge: it just ends there.
  best = range;
  for (const [wx, wy, ww, wh] of world.walls) {
    const t = rayBox(x, y, dx, dy, [wx, wy, wx + ww, wy + wh], 0, best);
    if (t !== null && t < best) best = t;
  }
  let hit: number | null = null;
  for (const tg of targets) {
    const t = rayBox(x, y, dx, dy, [tg.x, tg.y, tg.x, tg.y], tg.r, best);
    if (t !== null && t < best) {
      best = t;
      hit = tg.id;
    }
  }
  return { to: [x + dx * best, y + dy * best], hit };
}
