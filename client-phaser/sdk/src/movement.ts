/**
 * The movement step of PROTOCOL.md ("Movement step (what a client predicts)"), in 32-bit floats.
 *
 * Every arithmetic result is rounded with `Math.fround`, in the same order as the server's Rust
 * code evaluates it, so one predicted step lands on the same bits as the server's step.
 */
import type { Movement, Wall, World } from "./protocol";

export interface Vec2 {
  readonly x: number;
  readonly y: number;
}

const f = Math.fround;

/** `true` if the square box of half-size `r` at (x, y) strictly overlaps the wall. */
export function overlaps(x: number, y: number, r: number, w: Wall): boolean {
  const [wx, wy, ww, wh] = w;
  return f(x + r) > wx && f(x - r) < f(wx + ww) && f(y + r) > wy && f(y - r) < f(wy + wh);
}

/**
 * The direction a client sends: finite, each component in [-1, 1], length at most 1 (in f32).
 * With it, the server's validation leaves the vector as it is or divides it by its length, exactly
 * like `step` does.
 */
export function clampDirection(dx: number, dy: number): Vec2 {
  let x = Number.isFinite(dx) ? dx : 0;
  let y = Number.isFinite(dy) ? dy : 0;
  const len = Math.hypot(x, y);
  if (len > 1) {
    x /= len;
    y /= len;
  }
  x = f(Math.max(-1, Math.min(1, x)));
  y = f(Math.max(-1, Math.min(1, y)));
  return { x: x + 0, y: y + 0 };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** How far a box may be inside a wall and still count as touching it from outside (the server's `CONTACT_EPSILON`). */
export const CONTACT_EPSILON = f(0.05);

/**
 * One step: `pos` moved by the input direction (dx, dy) for one tick, exactly as the server does
 * (`server/src/sim/movement.rs`, PROTOCOL.md "Movement step"):
 *
 * ```text
 * m = max(|dx|, |dy|); if m > 1: d = d / m
 * if |d| > 1: d = d / |d|
 * x: target clamped into the world, then cut short at the first wall ahead (swept)
 * y: the same, with the new x
 * ```
 *
 * A non-finite direction does not move (the server rejects that input but counts its seq).
 */
export function step(pos: Vec2, dx: number, dy: number, world: World, movement: Movement): Vec2 {
  let ddx = f(dx);
  let ddy = f(dy);
  if (!Number.isFinite(ddx) || !Number.isFinite(ddy)) return { x: f(pos.x), y: f(pos.y) };
  const m = Math.max(Math.abs(ddx), Math.abs(ddy));
  if (m > 1) {
    ddx = f(ddx / m);
    ddy = f(ddy / m);
  }
  const len = f(Math.sqrt(f(f(ddx * ddx) + f(ddy * ddy))));
  if (len > 1) {
    ddx = f(ddx / len);
    ddy = f(ddy / len);
  }
  const v = f(movement.max_speed);
  const dt = f(movement.dt);
  const r = f(movement.radius);
  const w = f(world.width);
  const h = f(world.height);
  const rc = Math.min(r, f(w / 2), f(h / 2));

  const vx = f(f(ddx * v) * dt);
  const vy = f(f(ddy * v) * dt);
  const px = f(pos.x);
  const py = f(pos.y);

  const xWalls: [number, number][] = world.walls
    .filter((wl) => f(py + r) > wl[1] && f(py - r) < f(wl[1] + wl[3]))
    .map((wl) => [wl[0], f(wl[0] + wl[2])]);
  const x = sweep(px, vx, r, rc, f(w - rc), xWalls);
  const yWalls: [number, number][] = world.walls
    .filter((wl) => f(x + r) > wl[0] && f(x - r) < f(wl[0] + wl[2]))
    .map((wl) => [wl[1], f(wl[1] + wl[3])]);
  const y = sweep(py, vy, r, rc, f(h - rc), yWalls);
  return { x, y };
}

/** One axis of `step`: from `p` by `d` inside [lo, hi], stopped by walls ahead (their extents). */
function sweep(p: number, d: number, r: number, lo: number, hi: number, walls: [number, number][]): number {
  let to = clamp(f(p + d), lo, hi);
  if (d > 0) {
    for (const [a] of walls) {
      if (f(p + r) <= f(a + CONTACT_EPSILON) && f(to + r) > a) to = Math.max(f(a - r), p);
    }
  } else if (d < 0) {
    for (const [, b] of walls) {
      if (f(p - r) >= f(b - CONTACT_EPSILON) && f(to - r) < b) to = Math.min(f(b + r), p);
    }
  }
  return to;
}

/** Keeps a box of half-size `r` inside the world (`r` capped at half the world, like the server). */
export function clampToWorld(x: number, y: number, radius: number, world: World): Vec2 {
  const w = f(world.width);
  const h = f(world.height);
  const r = Math.min(f(radius), f(w / 2), f(h / 2));
  return { x: clamp(x, r, f(w - r)), y: clamp(y, r, f(h - r)) };
}

/**
 * Moves a position that overlaps a wall by a hair out of it, along the shallowest side.
 *
 * A snapshot's position is quantized (error up to `width / 131070`, ~0.012 units), so a ship the
 * server holds flush against a wall can decode as 0.01 units inside it. Stepping from there would
 * make the step's push-out teleport it to the wall's far side; the server never sees that state.
 * Penetrations deeper than `maxDepth` (default: one quantization step, twice the largest error) are
 * left alone: they are not quantization error.
 */
export function depenetrate(
  pos: Vec2,
  world: World,
  radius: number,
  maxDepth = Math.max(world.width, world.height) / 65535,
): Vec2 {
  const r = f(radius);
  let x = clamp(f(pos.x), r, f(f(world.width) - r));
  let y = clamp(f(pos.y), r, f(f(world.height) - r));
  for (const w of world.walls) {
    if (!overlaps(x, y, r, w)) continue;
    const [wx, wy, ww, wh] = w;
    // [depth, axis, new coordinate] for the four ways out.
    const ways: [number, "x" | "y", number][] = [
      [f(x + r) - wx, "x", f(wx - r)],
      [f(wx + ww) - f(x - r), "x", f(f(wx + ww) + r)],
      [f(y + r) - wy, "y", f(wy - r)],
      [f(wy + wh) - f(y - r), "y", f(f(wy + wh) + r)],
    ];
    ways.sort((a, b) => a[0] - b[0]);
    const [depth, axis, to] = ways[0]!;
    if (depth > maxDepth) continue;
    if (axis === "x") x = to;
    else y = to;
  }
  return { x, y };
}

/**
 * Where an entity without a player that has a velocity field is after `ticks` engine ticks: the
 * same sweep as `step` with the direction and speed of its velocity (PROTOCOL.md "Movement step",
 * last paragraphs), so a projectile drawn ahead of the newest snapshot stops at the wall it will hit.
 */
export function coast(pos: Vec2, vel: readonly [number, number], ticks: number, world: World, radius: number, dt: number): Vec2 {
  const speed = f(Math.sqrt(f(f(vel[0] * vel[0]) + f(vel[1] * vel[1]))));
  if (!(speed > 0) || ticks <= 0) return pos;
  const dirX = f(vel[0] / speed);
  const dirY = f(vel[1] / speed);
  const whole = Math.floor(ticks);
  let p = pos;
  for (let i = 0; i < whole; i++) p = step(p, dirX, dirY, world, { max_speed: speed, radius, dt });
  const frac = ticks - whole;
  if (frac > 0) {
    const next = step(p, dirX, dirY, world, { max_speed: speed, radius, dt });
    p = { x: p.x + (next.x - p.x) * frac, y: p.y + (next.y - p.y) * frac };
  }
  return p;
}
