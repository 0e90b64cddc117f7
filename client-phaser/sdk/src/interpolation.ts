/**
 * Interpolation of other entities between snapshots.
 *
 * Snapshots arrive at `snapshot_rate`, unevenly. Drawing them as they come would make other ships
 * jerk; instead the client draws the world as it was a little in the past, where it almost always
 * has a snapshot on each side, and blends between them. How far in the past adapts to the network
 * (a jitter buffer): the delay is `delayIntervals` snapshot intervals plus `jitterFactor` times the
 * measured arrival jitter, at most `maxDelayMs`.
 *
 * Timing uses the server's tick numbers, not arrival times: a snapshot of tick `t` stands for server
 * time `t / tick_rate` s. The client keeps an estimate of `server time - local time`, taken from the
 * least-delayed snapshot of the last second (network delay only ever adds); how much later than
 * that each snapshot arrives is its lateness, and the jitter is a high quantile of the lateness,
 * tracked by an asymmetric moving average (it rises quickly and falls slowly).
 *
 * The render clock is monotonic: it never runs backwards. It advances with local time at a rate
 * slewed between `1 - maxSlew` and `1 + maxSlew` toward its target (estimated server time minus the
 * delay), so a changed delay or estimate changes its speed, never its direction; only a target more
 * than `resyncMs` ahead makes it jump (forward), and one more than `resyncMs` behind slows it to half
 * speed until it is caught up.
 *
 * When the render time runs past the newest snapshot (one is late or lost) entities keep moving
 * along their last velocity for at most `maxExtrapolationMs`, then hold. When the late snapshot then
 * shows another path, the entity does not jump back to it: the difference between where it was drawn
 * and where the true path has it becomes a visual offset that fades over `correctionMs`, and the fade
 * never moves it against its direction of motion (the fade along that direction may take back at
 * most half of the entity's own progress in a frame: it slows down and lets the true path catch up).
 * Only an entity that has stood still for a while fades back freely; offsets over `snapDistance` snap.
 *
 * An entity that moves further between two snapshots than it could (a respawned star) jumps instead of
 * gliding across the field. Entities appear when the render time reaches the first snapshot that
 * holds them and vanish when it reaches the first one that does not.
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
  /**
   * Base render delay in snapshot intervals, the delay on a network without jitter. Default 2. It
   * should be at least one interval plus half the smoothing window (one interval plus one, by default).
   */
  readonly delayIntervals?: number;
  /** The delay adds this many times the measured arrival jitter. Default 1.5; 0 turns adapting off. */
  readonly jitterFactor?: number;
  /** Most render delay, ms, however large the jitter. Default max(250, the base delay). */
  readonly maxDelayMs?: number;
  /** How long to extrapolate past the newest snapshot before holding, in ms. Default 100. */
  readonly maxExtrapolationMs?: number;
  /** Moves faster than this (units/s) between two snapshots are jumps, not glides. Default 1500. */
  readonly teleportSpeed?: number;
  /** How far the render clock's rate may differ from real time, as a fraction. Default 0.1. */
  readonly maxSlew?: number;
  /** A render clock more than this (ms) behind its target jumps forward instead of slewing. Default 250. */
  readonly resyncMs?: number;
  /**
   * Width of the smoothing window, ms (default: two snapshot intervals; 0 turns it off). The drawn
   * position is the average of the piecewise-linear path over this window around the render time;
   * half of it must fit in the render delay.
   */
  readonly smoothingMs?: number;
  /** Time for a correction (late data moved the path under a drawn entity) to fade, ≈95%, ms. Default 150. */
  readonly correctionMs?: number;
  /** Corrections larger than this (world units) snap instead of fading. Default: `teleportSpeed` × 0.1 s. */
  readonly snapDistance?: number;
}

/** What the interpolator measured, for a net graph, the HUD and tests. */
export interface InterpolationStats {
  /** Render delay now (base + `jitterFactor` × jitter, at most `maxDelayMs`), ms. */
  readonly delayMs: number;
  /** Snapshot arrival jitter: how much later than the least-delayed one snapshots arrive (a high quantile), ms. */
  readonly jitterMs: number;
  /** Snapshots received in the last second. */
  readonly snapshotRate: number;
  /** How far the newest snapshot is ahead of the render time, ms (negative: extrapolating); null before any. */
  readonly bufferMs: number | null;
  /** Fraction of the frames of the last second that extrapolated past the newest snapshot (0..1). */
  readonly extrapolationFraction: number;
  /** Frames that extrapolated, since the start. */
  readonly extrapolatedFrames: number;
  /** Frames drawn (`sample` calls with a snapshot), since the start. */
  readonly frames: number;
  /** Times late data moved the path under a drawn entity and the difference was faded out. */
  readonly corrections: number;
  /** Corrections too large to fade, drawn at once. */
  readonly snaps: number;
  /** Snapshots ignored because they were not newer than the newest held (late, out of order). */
  readonly stale: number;
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

/** What was drawn of one entity last frame, and its fading correction. */
interface Display {
  /** Drawn position. */
  x: number;
  y: number;
  /** The true (interpolated or extrapolated) position at the same render time. */
  rx: number;
  ry: number;
  /** Correction offset: drawn - true. */
  ox: number;
  oy: number;
  /** Unit direction of its last motion (0, 0 before any). */
  dx: number;
  dy: number;
  /** Wall time it has stood still on interpolated (not extrapolated) data, ms. */
  stillMs: number;
}

const OFFSET_WINDOW_MS = 1000;
const BUFFER_MS = 1000;
/** The render clock closes a gap to its target with this time constant (then capped by `maxSlew`). */
const SLEW_TIME_MS = 200;
/** Rate cut of a render clock far ahead of its target. */
const CATCH_UP_SLEW = 0.5;
/** Jitter tracker gains: a lateness above the estimate pulls it up this much, one below pulls it down. */
const JITTER_RISE = 0.1;
const JITTER_FALL = 0.02;
/** A fade may take back at most this fraction of an entity's own progress along its motion per frame. */
const FADE_SHARE = 0.5;
/** An entity still for this long on interpolated data has stopped: its correction may fade backwards. */
const STILL_MS = 100;
/** Frames remembered for the extrapolation fraction. */
const FRAME_WINDOW_MS = 1000;

export class Interpolator {
  private readonly msPerTick: number;
  /** Render delay without jitter, ms. */
  readonly baseDelayMs: number;
  private readonly jitterFactor: number;
  private readonly maxDelayMs: number;
  private readonly maxExtrapolationMs: number;
  private readonly teleportSpeed: number;
  private readonly maxSlew: number;
  private readonly resyncMs: number;
  private readonly smoothingMs: number;
  private readonly correctionMs: number;
  private readonly snapDistance: number;
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
  /** Arrival jitter estimate, ms. */
  private jitter = 0;
  /** Render clock: server time drawn (ms) at local time `clockAt`. */
  private clockT: number | null = null;
  private clockAt = 0;
  /** Latest local time seen (push or sample). */
  private latestNow = -Infinity;
  private arrivals: number[] = [];
  /** Per-entity drawing state. */
  private display = new Map<number, Display>();
  /** Render time and local time of the last `sample`. */
  private lastSampleT: number | null = null;
  private lastSampleNow: number | null = null;
  /** A snapshot came since the last `sample` (the path under the drawn entities may have moved). */
  private dataChanged = false;
  private recentFrames: { at: number; extrapolated: boolean }[] = [];
  private counts = { frames: 0, extrapolated: 0, corrections: 0, snaps: 0, stale: 0 };

  constructor(options: InterpolatorOptions) {
    this.msPerTick = 1000 / options.tickRate;
    this.baseDelayMs = ((options.delayIntervals ?? 2) * 1000) / options.snapshotRate;
    this.jitterFactor = Math.max(0, options.jitterFactor ?? 1.5);
    this.maxDelayMs = Math.max(this.baseDelayMs, options.maxDelayMs ?? 250);
    this.maxExtrapolationMs = options.maxExtrapolationMs ?? 100;
    this.teleportSpeed = options.teleportSpeed ?? 1500;
    this.maxSlew = Math.min(0.5, Math.max(0, options.maxSlew ?? 0.1));
    this.resyncMs = options.resyncMs ?? 250;
    this.smoothingMs = Math.max(0, options.smoothingMs ?? 2000 / options.snapshotRate);
    this.correctionMs = Math.max(1, options.correctionMs ?? 150);
    this.snapDistance = options.snapDistance ?? this.teleportSpeed * 0.1;
    this.world = options.world;
    this.radiusOf = options.radiusOf ?? (() => 0);
    this.maxCoastMs = options.maxCoastMs ?? 250;
    for (const k of options.schema?.kinds ?? []) {
      this.fieldsByKind.set(k.id, k.fields);
      const vel = k.fields.find((f) => f.type === "velocity");
      if (vel) this.velocityField.set(k.id, vel.name);
    }
  }

  /** Render delay behind the estimated server time now, ms (adapts to the jitter). */
  get delayMs(): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs + this.jitterFactor * this.jitter);
  }

  /** Measured snapshot arrival jitter, ms. */
  get jitterMs(): number {
    return this.jitter;
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

  /** What was measured so far (snapshot rate over the second before the latest time seen). */
  stats(): InterpolationStats {
    const now = this.latestNow;
    while (this.arrivals.length > 0 && this.arrivals[0]! <= now - 1000) this.arrivals.shift();
    while (this.recentFrames.length > 0 && this.recentFrames[0]!.at <= now - FRAME_WINDOW_MS) this.recentFrames.shift();
    const recent = this.recentFrames;
    const newest = this.frames.at(-1);
    return {
      delayMs: this.delayMs,
      jitterMs: this.jitter,
      snapshotRate: this.arrivals.length,
      bufferMs: newest && this.lastSampleT !== null ? newest.time - this.lastSampleT : null,
      extrapolationFraction: recent.length === 0 ? 0 : recent.filter((f) => f.extrapolated).length / recent.length,
      extrapolatedFrames: this.counts.extrapolated,
      frames: this.counts.frames,
      corrections: this.counts.corrections,
      snaps: this.counts.snaps,
      stale: this.counts.stale,
    };
  }

  /**
   * Adds a snapshot received at local time `now` (ms). Snapshots not newer than the newest held are
   * ignored (the server sends ticks in increasing order; anything else is stale).
   */
  push(snapshot: Snapshot, now: number): void {
    this.latestNow = Math.max(this.latestNow, now);
    const newest = this.frames.at(-1);
    if (newest && snapshot.tick <= newest.tick) {
      this.counts.stale++;
      return;
    }
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
    this.dataChanged = true;
    this.arrivals.push(now);

    const offset = time - now;
    this.samples.push({ at: now, offset });
    while (this.samples.length > 1 && this.samples[0]!.at < now - OFFSET_WINDOW_MS) this.samples.shift();
    let best = -Infinity;
    for (const s of this.samples) best = Math.max(best, s.offset);
    if (this.offset !== null) {
      // Lateness against the least-delayed snapshot; the jitter tracks a high quantile of it.
      const late = Math.max(0, best - offset);
      this.jitter += (late - this.jitter) * (late > this.jitter ? JITTER_RISE : JITTER_FALL);
    }
    this.offset = best;
  }

  /**
   * Server time (ms) drawn at local time `now`; null before the first snapshot. Never less than it
   * returned before (the clock only changes its rate, or jumps forward after a long gap).
   */
  renderTime(now: number): number | null {
    if (this.offset === null) return null;
    this.latestNow = Math.max(this.latestNow, now);
    const target = now + this.offset - this.delayMs;
    if (this.clockT === null) {
      this.clockT = target;
      this.clockAt = now;
      return target;
    }
    const elapsed = Math.max(0, now - this.clockAt);
    this.clockAt = Math.max(this.clockAt, now);
    const err = target - (this.clockT + elapsed);
    if (err > this.resyncMs) {
      this.clockT = target; // far behind (the tab slept): jump forward
    } else {
      const slowest = err < -this.resyncMs ? CATCH_UP_SLEW : this.maxSlew;
      const rate = 1 + Math.max(-slowest, Math.min(this.maxSlew, err / SLEW_TIME_MS));
      this.clockT += elapsed * rate;
    }
    return this.clockT;
  }

  /** Render tick (fractional) at local time `now`, or null. Advances the render clock like `sample`. */
  renderTick(now: number): number | null {
    const t = this.renderTime(now);
    return t === null ? null : t / this.msPerTick;
  }

  /**
   * Positions of every entity to draw at local time `now` (ms): the smoothed path at the render
   * time, plus the fading correction of each entity whose path late data moved.
   */
  sample(now: number): Map<number, RenderedEntity> {
    const t = this.renderTime(now);
    const newest = this.frames.at(-1);
    if (t === null || !newest) return new Map();
    const raw = this.sampleSmoothed(t);

    const extrapolated = t + this.smoothingMs / 2 > newest.time;
    this.counts.frames++;
    if (extrapolated) this.counts.extrapolated++;
    this.recentFrames.push({ at: now, extrapolated });

    const prevT = this.lastSampleT;
    const wallMs = this.lastSampleNow === null ? 0 : Math.max(0, now - this.lastSampleNow);
    const renderMs = prevT === null ? 0 : t - prevT;
    // The path at the last frame's render time, as the data now has it.
    const before = this.dataChanged && prevT !== null ? this.sampleSmoothed(prevT) : null;
    this.dataChanged = false;
    this.lastSampleT = t;
    this.lastSampleNow = now;

    const fade = Math.exp((-3 * wallMs) / this.correctionMs);
    const out = new Map<number, RenderedEntity>();
    const display = new Map<number, Display>();
    for (const [id, r] of raw) {
      const d = this.display.get(id);
      const p = before ? before.get(id) : d ? { x: d.rx, y: d.ry } : undefined;
      if (!d || !p) {
        display.set(id, { x: r.x, y: r.y, rx: r.x, ry: r.y, ox: 0, oy: 0, dx: 0, dy: 0, stillMs: 0 });
        out.set(id, r);
        continue;
      }
      // Offset from the drawn position to the (maybe revised) true path at the last frame.
      let ox = d.x - p.x;
      let oy = d.y - p.y;
      if (before && Math.hypot(ox - d.ox, oy - d.oy) > 1e-3) this.counts.corrections++;
      const mx = r.x - p.x;
      const my = r.y - p.y;
      const moved = Math.hypot(mx, my);
      if (moved > this.snapDistance + (this.teleportSpeed * Math.max(0, renderMs)) / 1000) {
        ox = 0; // the entity itself jumped (respawn, teleport): no correction across it
        oy = 0;
      } else if (Math.hypot(ox, oy) > this.snapDistance) {
        this.counts.snaps++;
        ox = 0;
        oy = 0;
      }
      let dx = d.dx;
      let dy = d.dy;
      let stillMs = d.stillMs;
      if (moved > 1e-9) {
        dx = mx / moved;
        dy = my / moved;
        stillMs = 0;
      } else if (!extrapolated) {
        stillMs += wallMs;
      }
      let nx = ox * fade;
      let ny = oy * fade;
      if (stillMs < STILL_MS && (dx !== 0 || dy !== 0)) {
        // Never fade against the motion faster than a share of the entity's own progress.
        const along = (nx - ox) * dx + (ny - oy) * dy;
        const allowed = Math.max(0, mx * dx + my * dy) * FADE_SHARE;
        if (along < -allowed) {
          const excess = -allowed - along;
          nx += excess * dx;
          ny += excess * dy;
        }
      }
      if (Math.abs(nx) < 1e-4) nx = 0;
      if (Math.abs(ny) < 1e-4) ny = 0;
      const x = r.x + nx;
      const y = r.y + ny;
      display.set(id, { x, y, rx: r.x, ry: r.y, ox: nx, oy: ny, dx, dy, stillMs });
      out.set(id, nx === 0 && ny === 0 ? r : { ...r, x, y });
    }
    this.display = display;
    return out;
  }

  /**
   * Positions at server time `t`, averaged over the smoothing window around it. Does not move the
   * render clock and adds no correction.
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

  /** Forgets every snapshot, the clock and the jitter estimates (after a reconnect); the counts stay. */
  reset(): void {
    this.frames = [];
    this.samples = [];
    this.offset = null;
    this.jitter = 0;
    this.clockT = null;
    this.clockAt = 0;
    this.arrivals = [];
    this.display = new Map();
    this.lastSampleT = null;
    this.lastSampleNow = null;
    this.dataChanged = false;
    this.recentFrames = [];
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
