/**
 * Client-side prediction and server reconciliation of your own ship.
 *
 * Each input is one movement step (PROTOCOL.md), applied locally the moment it is sent, so your
 * ship answers the keys without waiting for the server. Each snapshot carries `ack`, the last input
 * the server applied, and the server's position *after* that input: the predictor restarts from that
 * position, drops the acknowledged inputs and replays the rest. When prediction was right (the usual
 * case) the replay lands on the same bits; when it was not (an input dropped by the server, a push by
 * the game rules), the difference becomes a visual offset that decays over ~100 ms instead of a
 * jump, and large differences (a respawn) snap at once.
 *
 * Call order: `applyInput` once per tick, `reconcile` once per snapshot, `advance` once per frame,
 * then `renderPosition`. Time is passed in; this module never reads a clock.
 */
import { seqNewer, type Movement, type World } from "../net/protocol";
import { depenetrate, step, type Vec2 } from "./movement";

export interface PendingInput {
  readonly seq: number;
  readonly dx: number;
  readonly dy: number;
  /** Not used for movement; kept so that the input can be sent again exactly (after a resume). */
  readonly buttons: number;
}

export interface PredictorOptions {
  /** Time for a correction to fade out visually (≈95% gone), in ms. Default 100. */
  readonly smoothingMs?: number;
  /** Corrections larger than this (world units) snap instead of fading. Default max(4·radius, max_speed/4). */
  readonly snapDistance?: number;
  /** Inputs kept for replay at most; older ones are forgotten. Default 256 (4 s at 60 Hz). */
  readonly maxPending?: number;
}

/** What one `reconcile` did, for HUD/debugging and tests. */
export interface Correction {
  /** Distance between the prediction before and after reconciling, in world units. */
  readonly error: number;
  /** The correction was too large to smooth and was applied at once. */
  readonly snapped: boolean;
  /** Unacknowledged inputs replayed on top of the server position. */
  readonly replayed: number;
}

export class Predictor {
  readonly world: World;
  readonly movement: Movement;
  private readonly smoothingMs: number;
  private readonly snapDistance: number;
  private readonly maxPending: number;

  private pending: PendingInput[] = [];
  /** Predicted position after every sent input; null until the first snapshot that holds us. */
  private pos: Vec2 | null = null;
  /** Predicted position before the latest input, for drawing between ticks. */
  private prev: Vec2 | null = null;
  /** Visual offset from corrections, decaying to zero. */
  private offX = 0;
  private offY = 0;

  constructor(world: World, movement: Movement, options: PredictorOptions = {}) {
    this.world = world;
    this.movement = movement;
    this.smoothingMs = options.smoothingMs ?? 100;
    this.snapDistance = options.snapDistance ?? Math.max(4 * movement.radius, movement.max_speed / 4);
    this.maxPending = options.maxPending ?? 256;
  }

  /** Predicted position after all sent inputs (null before the first snapshot with our entity). */
  get position(): Vec2 | null {
    return this.pos;
  }

  /** Inputs sent but not yet acknowledged. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** The current visual correction offset. */
  get offset(): Vec2 {
    return { x: this.offX, y: this.offY };
  }

  /** The unacknowledged inputs, oldest first. */
  get pendingInputs(): readonly PendingInput[] {
    return this.pending;
  }

  /**
   * Forgets the inputs up to `ack` and keeps at most the newest `max` of the rest (a resumed session
   * sends those again; the older ones are given up, and the replay in `reconcile` then matches what
   * the server will apply). Returns how many unacknowledged inputs were given up.
   */
  retainAfter(ack: number, max: number): number {
    let drop = 0;
    while (drop < this.pending.length && !seqNewer(this.pending[drop]!.seq, ack)) drop++;
    if (drop > 0) this.pending.splice(0, drop);
    const over = Math.max(0, this.pending.length - Math.max(0, max));
    if (over > 0) this.pending.splice(0, over);
    return over;
  }

  /** Records an input that was just sent and predicts its step. `dx`/`dy` as sent (f32 values). */
  applyInput(seq: number, dx: number, dy: number, buttons = 0): void {
    this.pending.push({ seq, dx, dy, buttons });
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (this.pos) {
      this.prev = this.pos;
      this.pos = step(this.pos, dx, dy, this.world, this.movement);
    }
  }

  /**
   * Restarts the prediction from the server's position for our entity after input `ack`.
   *
   * @param ack the snapshot's `ack`
   * @param server our entity's dequantized position in that snapshot; `null` if it was absent
   */
  reconcile(ack: number, server: Vec2 | null): Correction {
    // Drop every input the server has applied (wrap-aware; ack 0 before any input drops nothing).
    let drop = 0;
    while (drop < this.pending.length && !seqNewer(this.pending[drop]!.seq, ack)) drop++;
    if (drop > 0) this.pending.splice(0, drop);
    if (!server) return { error: 0, snapped: false, replayed: 0 };

    const before = this.pos;
    let p = depenetrate(server, this.world, this.movement.radius);
    let prev = p;
    for (const input of this.pending) {
      prev = p;
      p = step(p, input.dx, input.dy, this.world, this.movement);
    }
    this.pos = p;
    this.prev = prev;

    if (!before) return { error: 0, snapped: true, replayed: this.pending.length };
    const ex = before.x - p.x;
    const ey = before.y - p.y;
    const error = Math.hypot(ex, ey);
    this.offX += ex;
    this.offY += ey;
    const snapped = Math.hypot(this.offX, this.offY) > this.snapDistance;
    if (snapped) {
      this.offX = 0;
      this.offY = 0;
    }
    return { error, snapped, replayed: this.pending.length };
  }

  /** Lets the visual correction fade for `elapsedMs` of wall time. */
  advance(elapsedMs: number): void {
    if (elapsedMs <= 0) return;
    // exp(-3) ≈ 0.05: about 95% of a correction is gone after `smoothingMs`.
    const k = Math.exp((-3 * elapsedMs) / this.smoothingMs);
    this.offX *= k;
    this.offY *= k;
    if (Math.abs(this.offX) < 1e-3) this.offX = 0;
    if (Math.abs(this.offY) < 1e-3) this.offY = 0;
  }

  /**
   * Where to draw our ship: between the last two predicted steps (`alpha` in [0, 1] is how far the
   * frame is into the current tick), plus the fading correction offset.
   */
  renderPosition(alpha = 1): Vec2 | null {
    if (!this.pos) return null;
    const a = Math.min(1, Math.max(0, alpha));
    const prev = this.prev ?? this.pos;
    return {
      x: prev.x + (this.pos.x - prev.x) * a + this.offX,
      y: prev.y + (this.pos.y - prev.y) * a + this.offY,
    };
  }
}
