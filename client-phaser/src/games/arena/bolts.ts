/**
 * Blaster bolts as the client draws them: from where a snapshot saw each one plus its velocity
 * times the time since, every frame (never stepping at the snapshot rate), and your own shots at
 * once. No Phaser here.
 *
 * - **Others' bolts** are drawn at the render time of the other ships (the SDK interpolator's, in
 *   the past), so a bolt leaves the muzzle of the ship you see fire it and meets the ship you see
 *   it hit. A bolt a snapshot no longer has is drawn until the render time reaches the tick it
 *   went away; one whose path meets a wall stops being drawn there (the engine stops it there).
 * - **Your own bolts** appear the frame you fire ({@link BoltTracker.predict}: a predicted bolt
 *   from your predicted ship), and fly on your own (predicted) timeline. When the server's bolt
 *   with your `owner` shows up, it is matched to the predicted one along whose path it lies and
 *   replaces it: drawn from the server's position and velocity on the predicted bolt's timeline
 *   (`lead`: the server time of the bolt the predicted one is at), so the swap is seamless. A
 *   predicted bolt that nothing matches (the server did not fire it) goes after a short while.
 */
import type { Snapshot, World } from "tickstate-sdk";
import { distanceToWall } from "./geometry";

export interface DrawnBolt {
  /** The server's entity id, or a negative number for a predicted bolt not matched yet. */
  readonly key: number;
  readonly x: number;
  readonly y: number;
  /** Velocity, units per second. */
  readonly vx: number;
  readonly vy: number;
  /** Network id of the ship that fired it. */
  readonly owner: number;
  /** Fired by you. */
  readonly own: boolean;
  /** Shown before the server's bolt came (not yet matched). */
  readonly predicted: boolean;
}

export interface BoltTrackerOptions {
  readonly world: World;
  readonly tickRate: number;
  /** Your network id (bolts with this `owner` are yours). */
  readonly ownId: number;
  /** The bolt kind's id, and the names of its velocity and owner fields. */
  readonly kind: number;
  readonly velField?: string;
  readonly ownerField?: string;
  readonly radius: number;
  readonly speed: number;
  readonly lifetimeMs: number;
  /** How long a predicted bolt waits for the server's before it is dropped, ms. Default 500. */
  readonly unmatchedMs?: number;
}

interface ServerBolt {
  readonly id: number;
  owner: number;
  /** Anchor: position at server time `at` (ms), from the newest snapshot that had it. */
  ax: number;
  ay: number;
  vx: number;
  vy: number;
  at: number;
  /** Server time it was first seen (ms). */
  readonly firstAt: number;
  /** Server time its straight path from the anchor meets a wall. */
  wallAt: number;
  /** Server time it was gone by (a snapshot no longer had it), or null. */
  goneAt: number | null;
  /** Own bolts: server time minus local time of the drawing timeline (see module docs). */
  lead: number | null;
}

interface Predicted {
  readonly key: number;
  readonly x0: number;
  readonly y0: number;
  readonly dx: number;
  readonly dy: number;
  /** Local time fired, ms. */
  readonly t0: number;
  /** Local time its path meets a wall. */
  readonly wallAt: number;
  /** The server bolt that replaced it, or null. */
  matched: number | null;
}

/** Farthest (world units) a server bolt may lie off a predicted bolt's path and still match it. */
const MATCH_OFFSET = 40;

export class BoltTracker {
  private readonly o: Required<BoltTrackerOptions>;
  private readonly msPerTick: number;
  private readonly server = new Map<number, ServerBolt>();
  private predicted: Predicted[] = [];
  private nextKey = -1;
  private newestTick = -1;
  /** The lead of the last matched bolt: used for own bolts nothing predicted. */
  private lastLead: number | null = null;

  constructor(options: BoltTrackerOptions) {
    this.o = { velField: "vel", ownerField: "owner", unmatchedMs: 500, ...options };
    this.msPerTick = 1000 / options.tickRate;
  }

  /** Forgets everything (after a resume: the next snapshot starts over). */
  reset(): void {
    this.server.clear();
    this.predicted = [];
    this.newestTick = -1;
  }

  /** Own bolts waiting for (or replaced by) the server's, for tests. */
  get predictedCount(): number {
    return this.predicted.filter((p) => p.matched === null).length;
  }

  /** A shot you just fired at local time `now` from (x, y) (the muzzle) along `angle`. */
  predict(x: number, y: number, angle: number, now: number): void {
    const dx = Math.cos(angle);
    const dy = Math.sin(angle);
    const reach = distanceToWall(this.o.world, x, y, dx, dy, this.o.radius, this.o.speed * (this.o.lifetimeMs / 1000));
    this.predicted.push({
      key: this.nextKey--,
      x0: x,
      y0: y,
      dx,
      dy,
      t0: now,
      wallAt: now + (reach / this.o.speed) * 1000,
      matched: null,
    });
  }

  /** Takes a snapshot received at local time `now`. */
  onSnapshot(s: Snapshot, now: number): void {
    if (s.tick <= this.newestTick) return;
    const prevTick = this.newestTick;
    this.newestTick = s.tick;
    const at = s.tick * this.msPerTick;
    const seen = new Set<number>();
    for (const e of s.entities) {
      if (e.kind !== this.o.kind) continue;
      const vel = e.fields[this.o.velField];
      const owner = e.fields[this.o.ownerField];
      if (!Array.isArray(vel)) continue;
      const [vx, vy] = vel as readonly [number, number];
      seen.add(e.id);
      let b = this.server.get(e.id);
      if (!b) {
        b = { id: e.id, owner: 0, ax: e.x, ay: e.y, vx, vy, at, firstAt: at, wallAt: at, goneAt: null, lead: null };
        this.server.set(e.id, b);
      }
      b.owner = typeof owner === "number" ? owner : 0;
      b.ax = e.x;
      b.ay = e.y;
      b.vx = vx;
      b.vy = vy;
      b.at = at;
      const speed = Math.hypot(vx, vy);
      const reach = speed > 0 ? distanceToWall(this.o.world, e.x, e.y, vx / speed, vy / speed, this.o.radius, speed * 2) : 0;
      b.wallAt = at + (speed > 0 ? (reach / speed) * 1000 : 0);
      if (b.owner === this.o.ownId && b.lead === null) this.match(b, now);
    }
    for (const b of this.server.values()) {
      if (seen.has(b.id) || b.goneAt !== null) continue;
      // It was there at the previous snapshot and gone by this one: between the two.
      b.goneAt = prevTick >= 0 ? Math.min(at, b.at + 1.5 * this.msPerTick) : at;
    }
  }

  /** Pairs a new server bolt of yours with the predicted bolt whose path it lies on. */
  private match(b: ServerBolt, now: number): void {
    const speed = Math.hypot(b.vx, b.vy);
    if (speed <= 0) return;
    const ux = b.vx / speed;
    const uy = b.vy / speed;
    let best: { p: Predicted; off: number; along: number } | null = null;
    for (const p of this.predicted) {
      if (p.matched !== null || now - p.t0 > 1500) continue;
      if (p.dx * ux + p.dy * uy < 0.985) continue; // more than ~10° apart
      const rx = b.ax - p.x0;
      const ry = b.ay - p.y0;
      const along = rx * p.dx + ry * p.dy;
      const off = Math.abs(rx * p.dy - ry * p.dx);
      if (off > MATCH_OFFSET || along < -MATCH_OFFSET) continue;
      if (!best || p.t0 < best.p.t0) best = { p, off, along }; // the oldest waiting shot first
    }
    if (!best) {
      b.lead = this.lastLead;
      return;
    }
    best.p.matched = b.id;
    // The predicted bolt was at the server bolt's anchor at local time t0 + along / speed.
    const localAtAnchor = best.p.t0 + (best.along / this.o.speed) * 1000;
    b.lead = b.at - localAtAnchor;
    this.lastLead = b.lead;
  }

  /**
   * The bolts to draw at local time `now`, others' at server render time `renderMs` (the SDK
   * interpolator's, in ms: `renderTick * 1000 / tick_rate`).
   */
  sample(now: number, renderMs: number | null): DrawnBolt[] {
    const out: DrawnBolt[] = [];
    const lifetime = this.o.lifetimeMs;
    for (const b of [...this.server.values()]) {
      const own = b.owner === this.o.ownId;
      const t = own && b.lead !== null ? now + b.lead : renderMs;
      if (own && b.goneAt !== null) {
        this.drop(b.id); // drawn ahead of the server: by now it is gone for sure
        continue;
      }
      if (t === null) continue;
      if (b.goneAt !== null && t >= b.goneAt) {
        this.drop(b.id);
        continue;
      }
      if (!own && t < b.firstAt - this.msPerTick * 2) continue; // not fired yet at render time
      if (t > b.wallAt || t - b.firstAt > lifetime) continue; // stopped at a wall: gone any moment
      const dt = (t - b.at) / 1000;
      out.push({
        key: b.id,
        x: b.ax + b.vx * dt,
        y: b.ay + b.vy * dt,
        vx: b.vx,
        vy: b.vy,
        owner: b.owner,
        own,
        predicted: false,
      });
    }
    const speed = this.o.speed;
    this.predicted = this.predicted.filter((p) => {
      if (p.matched !== null) return this.server.has(p.matched);
      return now - p.t0 < this.o.unmatchedMs && now < p.wallAt;
    });
    for (const p of this.predicted) {
      if (p.matched !== null) continue;
      const d = (speed * (now - p.t0)) / 1000;
      out.push({
        key: p.key,
        x: p.x0 + p.dx * d,
        y: p.y0 + p.dy * d,
        vx: p.dx * speed,
        vy: p.dy * speed,
        owner: this.o.ownId,
        own: true,
        predicted: true,
      });
    }
    return out;
  }

  private drop(id: number): void {
    this.server.delete(id);
  }
}
