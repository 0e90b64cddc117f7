/**
 * Interpolation of other entities between snapshots.
 *
 * Snapshots arrive at `snapshot_rate`, unevenly. Drawing them as they come would make other ships
 * jerk; instead the client draws the world as it was a little in the past (by default two snapshot
 * intervals), where it almost always has a snapshot on each side, and blends between them.
 *
 * Timing uses the server's tick numbers, not arrival times: a snapshot of tick `t` stands for server
 * time `t / tick_rate` s. The client keeps an estimate of `server time - local time`, taken from the
 * least-delayed snapshot of the last second (network delay only ever adds), and slews its render
 * clock toward it by at most a few percent, so jitter and late snapshots never make it jump.
 *
 * When the render time runs past the newest snapshot (one is late or lost) entities keep moving
 * along their last velocity for a short while, then hold. An entity that moves further between two
 * snapshots than it could (a respawned star) jumps instead of gliding across the field. Entities
 * appear when the render time reaches the first snapshot that holds them and vanish when it reaches
 * the first one that does not.
 *
 * Every numeric field of the schema is blended too (angles the short way round, velocities per
 * component); flags take the later snapshot's value. Entities with a velocity field (projectiles,
 * which the engine moves by themselves) are extrapolated along that velocity, swept against the
 * walls, instead of along the difference of the last two snapshots. An entity listed in a
 * snapshot's `teleports` jumps.
 *
 * Call order: `push` per snapshot, `sample` per frame. Time is passed in (ms); no clock is read here.
 */
import { TAU } from "./fields";
import { coast } from "./movement";
import type { EntityState, FieldDoc, FieldValue, FieldValues, SchemaDoc, Snapshot, World } from "./protocol";

export interface RenderedEntity {
  readonly id: number;
  /** Kind without the away bit. */
  readonly kind: number;
  /** The entity's player is away (held seat), as of the later snapshot drawn. */
  readonly away: boolean;
  readonly x: number;
  readonly y: number;
  /** The kind's fields, blended like the position. */
  readonly fields: FieldValues;
}

export interface InterpolatorOptions {
  readonly tickRate: number;
  readonly snapshotRate: number;
  /** The world: its size keeps extrapolated positions inside, its walls stop coasting projectiles. */
  readonly world: World;
  /** The game's schema: which fields are angles (blended the short way) and velocities (extrapolated). */
  readonly schema?: SchemaDoc;
  /** Collision half-size of an entity of `kind` without a player, for coasting. Default 0. */
  readonly radiusOf?: (kind: number) => number;
  /** How long to extrapolate an entity with a velocity field, ms. Default 250. */
  readonly maxCoastMs?: number;
  /** Render delay in snapshot intervals. Default 2. */
  readonly delayIntervals?: number;
  /** How long to extrapolate past the newest snapshot before holding, in ms. Default 100. */
  readonly maxExtrapolationMs?: number;
  /** Moves faster than this (units/s) between two snapshots are jumps, not glides. Default 1500. */
  readonly teleportSpeed?: number;
  /** How fast the render clock may be slewed, as a fraction of real time. Default 0.05. */
  readonly maxSlew?: number;
  /** Offset errors larger than this (ms) are fixed at once instead of slewed. Default 250. */
  readonly resyncMs?: number;
  /**
   * Width of the smoothing window, ms (default: two snapshot intervals; 0 turns it off). The drawn
   * position is the average of the piecewise-linear path over this window around the render time;
   * half of it must fit in the render delay.
   */
  readonly smoothingMs?: number;
}

/** Samples taken across the smoothing window. */
const SMOOTHING_TAPS = 5;

interface Frame {
  readonly tick: number;
  /** Server time of the tick, in ms. */
  readonly time: number;
  readonly entities: ReadonlyMap<number, EntityState>;
  /** Entities the server teleported since the frame before (their `teleports` tick is after it). */
  readonly teleported: ReadonlySet<number>;
}

interface OffsetSample {
  readonly at: number;
  readonly offset: number;
}

const OFFSET_WINDOW_MS = 1000;
const BUFFER_MS = 1000;

export class Interpolator {
  private readonly msPerTick: number;
  /** Render delay behind the estimated server time, ms. */
  readonly delayMs: number;
  private readonly maxExtrapolationMs: number;
  private readonly teleportSpeed: number;
  private readonly maxSlew: number;
  private readonly resyncMs: number;
  private readonly smoothingMs: number;
  private readonly world: World;
  private readonly fieldsByKind = new Map<number, readonly FieldDoc[]>();
  /** Kind → name of its velocity field, for kinds that have one. */
  private readonly velocityField = new Map<number, string>();
  private readonly radiusOf: (kind: number) => number;
  private readonly maxCoastMs: number;

  private frames: Frame[] = [];
  private samples: OffsetSample[] = [];
  /** Current estimate of (server time - local time), ms; null before the first snapshot. */
  private offset: number | null = null;
  private target = 0;
  private lastSampleAt: number | null = null;
  private lastRenderTime = -Infinity;

  constructor(options: InterpolatorOptions) {
    this.msPerTick = 1000 / options.tickRate;
    this.delayMs = ((options.delayIntervals ?? 2) * 1000) / options.snapshotRate;
    this.maxExtrapolationMs = options.maxExtrapolationMs ?? 100;
    this.teleportSpeed = options.teleportSpeed ?? 1500;
    this.maxSlew = options.maxSlew ?? 0.05;
    this.resyncMs = options.resyncMs ?? 250;
    this.smoothingMs = Math.max(0, options.smoothingMs ?? 2000 / options.snapshotRate);
    this.world = options.world;
    this.radiusOf = options.radiusOf ?? (() => 0);
    this.maxCoastMs = options.maxCoastMs ?? 250;
    for (const k of options.schema?.kinds ?? []) {
      this.fieldsByKind.set(k.id, k.fields);
      const vel = k.fields.find((f) => f.type === "velocity");
      if (vel) this.velocityField.set(k.id, vel.name);
    }
  }

  /** Snapshots held. */
  get size(): number {
    return this.frames.length;
  }

  /** Tick of the newest snapshot, or null. */
  get newestTick(): number | null {
    return this.frames.at(-1)?.tick ?? null;
  }

  /** The clock offset estimate in ms (server time - local time), or null before any snapshot. */
  get clockOffset(): number | null {
    return this.offset;
  }

  /**
   * Adds a snapshot received at local time `now` (ms). Snapshots not newer than the newest held are
   * ignored (the server sends ticks in increasing order; anything else is stale).
   */
  push(snapshot: Snapshot, now: number): void {
    const newest = this.frames.at(-1);
    if (newest && snapshot.tick <= newest.tick) return;
    const time = snapshot.tick * this.msPerTick;
    const entities = new Map<number, EntityState>();
    for (const e of snapshot.entities) entities.set(e.id, e);
    // `teleports` lists the last second; only the ones after the previous frame matter here.
    const after = newest?.tick ?? -1;
    const teleported = new Set<number>();
    for (const t of snapshot.teleports) if (t.tick > after) teleported.add(t.id);
    this.frames.push({ tick: snapshot.tick, time, entities, teleported });
    // Keep a second of history, and always at least two frames.
    while (this.frames.length > 2 && this.frames[0]!.time < time - BUFFER_MS) this.frames.shift();

    this.samples.push({ at: now, offset: time - now });
    while (this.samples.length > 1 && this.samples[0]!.at < now - OFFSET_WINDOW_MS) this.samples.shift();
    let best = -Infinity;
    for (const s of this.samples) best = Math.max(best, s.offset);
    this.target = best;
    if (this.offset === null || Math.abs(this.target - this.offset) > this.resyncMs) {
      this.offset = this.target;
      this.lastRenderTime = -Infinity;
    }
  }

  /** Server time (ms) drawn at local time `now`; null before the first snapshot. */
  renderTime(now: number): number | null {
    if (this.offset === null) return null;
    if (this.lastSampleAt !== null) {
      const elapsed = Math.max(0, now - this.lastSampleAt);
      const step = elapsed * this.maxSlew;
      const diff = this.target - this.offset;
      this.offset += Math.max(-step, Math.min(step, diff));
    }
    this.lastSampleAt = now;
    // Never run backwards, even when the estimate is lowered.
    const t = Math.max(now + this.offset - this.delayMs, this.lastRenderTime);
    this.lastRenderTime = t;
    return t;
  }

  /** Render tick (fractional) at local time `now`, or null. Advances the render clock like `sample`. */
  renderTick(now: number): number | null {
    const t = this.renderTime(now);
    return t === null ? null : t / this.msPerTick;
  }

  /** Positions of every entity to draw at local time `now` (ms). */
  sample(now: number): Map<number, RenderedEntity> {
    const out = new Map<number, RenderedEntity>();
    const t = this.renderTime(now);
    if (t === null || this.frames.length === 0) return out;
    return this.sampleSmoothed(t, out);
  }

  /**
   * Positions at server time `t`, averaged over the smoothing window around it.
   *
   * Why: the server moves a ship one step per input it applies, and inputs reach it unevenly (a
   * late one waits for the next tick, which then applies two), so the path in the snapshots has
   * uneven speed from snapshot to snapshot (measured in the browser test: 115 to 480 units/s for a
   * ship flying at 260). Averaging the path over two snapshot intervals narrows that (same test,
   * after: mostly 220 to 300) without lagging behind (the window is centred), and rounds starts and
   * stops over ~30 ms.
   * An entity that is missing from a tap or jumps inside the window is drawn unsmoothed.
   */
  sampleSmoothed(t: number, out = new Map<number, RenderedEntity>()): Map<number, RenderedEntity> {
    const centre = this.sampleAt(t, out);
    if (this.smoothingMs <= 0) return centre;
    const taps: Map<number, RenderedEntity>[] = [];
    for (let k = 0; k < SMOOTHING_TAPS; k++) {
      const dt = (k / (SMOOTHING_TAPS - 1) - 0.5) * this.smoothingMs;
      if (dt !== 0) taps.push(this.sampleAt(t + dt));
    }
    const maxSpread = (this.teleportSpeed * this.smoothingMs) / 1000;
    for (const [id, c] of centre) {
      let sx = c.x;
      let sy = c.y;
      let ok = true;
      for (const tap of taps) {
        const e = tap.get(id);
        if (!e || Math.abs(e.x - c.x) > maxSpread || Math.abs(e.y - c.y) > maxSpread) {
          ok = false;
          break;
        }
        sx += e.x;
        sy += e.y;
      }
      if (ok) out.set(id, { ...c, x: sx / SMOOTHING_TAPS, y: sy / SMOOTHING_TAPS });
    }
    return out;
  }

  /** Positions at server time `t` (ms). Does not move the render clock. */
  sampleAt(t: number, out = new Map<number, RenderedEntity>()): Map<number, RenderedEntity> {
    const frames = this.frames;
    if (frames.length === 0) return out;
    const first = frames[0]!;
    if (t <= first.time) {
      for (const e of first.entities.values()) out.set(e.id, pick(e));
      return out;
    }
    // Index of the newest frame at or before t.
    let i = frames.length - 1;
    while (i > 0 && frames[i]!.time > t) i--;
    const a = frames[i]!;
    const b = frames[i + 1];
    if (b) {
      const span = b.time - a.time;
      const alpha = span > 0 ? (t - a.time) / span : 1;
      for (const ea of a.entities.values()) {
        const eb = b.entities.get(ea.id);
        if (!eb || b.teleported.has(ea.id) || this.isJump(ea, eb, span)) {
          out.set(ea.id, pick(ea));
        } else {
          out.set(ea.id, {
            id: ea.id,
            kind: eb.kind,
            away: eb.away,
            x: ea.x + (eb.x - ea.x) * alpha,
            y: ea.y + (eb.y - ea.y) * alpha,
            fields: this.blendFields(ea, eb, alpha),
          });
        }
      }
      return out;
    }
    // Past the newest frame: extrapolate briefly from the last two, then hold.
    const prev = frames[i - 1];
    const ahead = Math.min(t - a.time, this.maxExtrapolationMs);
    for (const ea of a.entities.values()) {
      const velName = this.velocityField.get(ea.kind);
      const vel = velName === undefined ? undefined : ea.fields[velName];
      if (Array.isArray(vel) && t > a.time) {
        // The engine moves it by its velocity every tick: draw it where that sweep has it by now.
        const ticks = Math.min(t - a.time, this.maxCoastMs) / this.msPerTick;
        const p = coast({ x: ea.x, y: ea.y }, vel as readonly [number, number], ticks, this.world, this.radiusOf(ea.kind), this.msPerTick / 1000);
        out.set(ea.id, { ...pick(ea), x: p.x, y: p.y });
        continue;
      }
      const ep = prev?.entities.get(ea.id);
      if (!prev || !ep || ahead <= 0 || a.teleported.has(ea.id) || this.isJump(ep, ea, a.time - prev.time)) {
        out.set(ea.id, pick(ea));
        continue;
      }
      const span = a.time - prev.time;
      const vx = (ea.x - ep.x) / span;
      const vy = (ea.y - ep.y) / span;
      out.set(ea.id, {
        ...pick(ea),
        x: clamp(ea.x + vx * ahead, 0, this.world.width),
        y: clamp(ea.y + vy * ahead, 0, this.world.height),
      });
    }
    return out;
  }

  /** Forgets every snapshot and the clock estimate (after a reconnect). */
  reset(): void {
    this.frames = [];
    this.samples = [];
    this.offset = null;
    this.target = 0;
    this.lastSampleAt = null;
    this.lastRenderTime = -Infinity;
  }

  /** Blends the fields of two records of one entity (`alpha` 0 = a, 1 = b). */
  private blendFields(a: EntityState, b: EntityState, alpha: number): FieldValues {
    const docs = this.fieldsByKind.get(b.kind);
    if (!docs || docs.length === 0) return b.fields;
    const out: Record<string, FieldValue> = {};
    for (const doc of docs) {
      const va = a.fields[doc.name];
      const vb = b.fields[doc.name];
      out[doc.name] = vb === undefined ? (va ?? 0) : va === undefined ? vb : blendField(doc, va, vb, alpha);
    }
    return out;
  }

  /**
   * Moved further between two records than it could: a jump. An entity with a velocity field (a
   * projectile) may go as fast as that velocity on top of `teleportSpeed`, so that a bullet faster
   * than the players is drawn gliding between snapshots, not held at each one.
   */
  private isJump(a: EntityState, b: EntityState, spanMs: number): boolean {
    if (a.kind !== b.kind) return true;
    const dist = Math.hypot(b.x - a.x, b.y - a.y);
    const speed = this.teleportSpeed + Math.max(this.velocitySpeed(a), this.velocitySpeed(b));
    return dist > (speed * Math.max(spanMs, this.msPerTick)) / 1000;
  }

  /** Speed (units/s) of the entity's velocity field, 0 for a kind without one. */
  private velocitySpeed(e: EntityState): number {
    const name = this.velocityField.get(e.kind);
    const v = name === undefined ? undefined : e.fields[name];
    return Array.isArray(v) ? Math.hypot(v[0] as number, v[1] as number) : 0;
  }
}

function pick(e: EntityState): RenderedEntity {
  return { id: e.id, kind: e.kind, away: e.away, x: e.x, y: e.y, fields: e.fields };
}

/**
 * One field between two snapshots: numbers linearly, angles along the shorter arc (result in
 * `[0, τ)`), velocities per component; flags (and anything unexpected) take the later value.
 */
export function blendField(doc: FieldDoc, a: FieldValue, b: FieldValue, alpha: number): FieldValue {
  if (typeof a === "number" && typeof b === "number") {
    if (doc.type === "angle") {
      let d = (b - a) % TAU;
      if (d > Math.PI) d -= TAU;
      else if (d < -Math.PI) d += TAU;
      let v = (a + d * alpha) % TAU;
      if (v < 0) v += TAU;
      return v;
    }
    return a + (b - a) * alpha;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const [ax, ay] = a as readonly [number, number];
    const [bx, by] = b as readonly [number, number];
    return [ax + (bx - ax) * alpha, ay + (by - ay) * alpha];
  }
  return b;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
