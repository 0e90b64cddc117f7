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
import { seqNewer, type InputMsg, type Movement, type World } from "./protocol";
import { depenetrate, step, type Vec2 } from "./movement";

export interface PendingInput {
  readonly seq: number;
  readonly dx: number;
  readonly dy: number;
  readonly buttons: number;
  /** The input exactly as it was sent (so that it can be sent again after a resume). */
  readonly msg: InputMsg;
}

/** What a prediction step may read besides the input: the world and the current movement constants. */
export interface StepContext {
  readonly world: World;
  readonly movement: Movement;
}

/**
 * One predicted step of your entity for one input. The default is the engine's movement step
 * ({@link engineStep}); a game whose rules move the player differently supplies its own.
 */
export type PredictStep = (pos: Vec2, input: PendingInput, ctx: StepContext) => Vec2;

/** The engine's movement step of PROTOCOL.md, bit for bit. */
export const engineStep: PredictStep = (pos, input, ctx) => step(pos, input.dx, input.dy, ctx.world, ctx.movement);

export interface PredictorOptions {
  /** Time for a correction to fade out visually (≈95% gone), in ms. Default 100. */
  readonly smoothingMs?: number;
  /** Corrections larger than this (world units) snap instead of fading. Default max(4·radius, max_speed/4). */
  readonly snapDistance?: number;
  /** Inputs kept for replay at most; older ones are forgotten. Default 256 (4 s at 60 Hz). */
  readonly maxPending?: number;
  /** The prediction step. Default {@link engineStep}. */
  readonly step?: PredictStep;
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

/** Corrections smaller than this (world units) are quantization, not counted. */
const NOTICEABLE = 0.05;

/** What reconciliation did so far, for a net graph and tests. */
export interface PredictionStats {
  /** Reconciliations that moved the prediction noticeably and were faded out over `smoothingMs`. */
  readonly smoothed: number;
  /** Reconciliations too large to fade (over `snapDistance`, or a teleport) that snapped. */
  readonly snapped: number;
  /** Error of the last noticeable correction, world units (0 before any). */
  readonly lastError: number;
  /** Size of the visual offset still fading, world units. */
  readonly offset: number;
}

export class Predictor {
  readonly world: World;
  /** The movement constants of `welcome`. */
  readonly baseMovement: Movement;
  private movementValue: Movement;
  private readonly smoothingMs: number;
  private readonly snapDistance: number;
  private readonly maxPending: number;
  private readonly stepFn: PredictStep;

  private pending: PendingInput[] = [];
  /** Predicted position after every sent input; null until the first snapshot that holds us. */
  private pos: Vec2 | null = null;
  /** Predicted position before the latest input, for drawing between ticks. */
  private prev: Vec2 | null = null;
  /** Visual offset from corrections, decaying to zero. */
  private offX = 0;
  private offY = 0;
  private smoothedCount = 0;
  private snappedCount = 0;
  private lastErrorValue = 0;

  constructor(world: World, movement: Movement, options: PredictorOptions = {}) {
    this.world = world;
    this.baseMovement = movement;
    this.movementValue = movement;
    this.stepFn = options.step ?? engineStep;
    this.smoothingMs = options.smoothingMs ?? 100;
    this.snapDistance = options.snapDistance ?? Math.max(4 * movement.radius, movement.max_speed / 4);
    this.maxPending = options.maxPending ?? 256;
  }

  /** The movement constants predicted with now (a snapshot's `movement`, or welcome's). */
  get movement(): Movement {
    return this.movementValue;
  }

  /**
   * Takes the movement constants of a snapshot (`null`: back to `welcome.movement`). PROTOCOL.md
   * sends `movement` only while it differs from welcome's, so its absence means "the base values".
   */
  setMovement(m: { readonly max_speed: number; readonly radius: number } | null): void {
    const base = this.baseMovement;
    const next = m ? { max_speed: m.max_speed, radius: m.radius, dt: base.dt } : base;
    if (next.max_speed !== this.movementValue.max_speed || next.radius !== this.movementValue.radius) this.movementValue = next;
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

  /** Corrections faded and snapped so far, and the offset still fading. */
  get stats(): PredictionStats {
    return { smoothed: this.smoothedCount, snapped: this.snappedCount, lastError: this.lastErrorValue, offset: Math.hypot(this.offX, this.offY) };
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

  /** Records an input that was just sent (`[seq, dx, dy, buttons, ...fields]`, f32 values) and predicts its step. */
  applyInput(msg: InputMsg): void {
    const input: PendingInput = { seq: msg[0], dx: msg[1], dy: msg[2], buttons: msg[3], msg };
    this.pending.push(input);
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (this.pos) {
      this.prev = this.pos;
      this.pos = this.stepFn(this.pos, input, this.ctx());
    }
  }

  private ctx(): StepContext {
    return { world: this.world, movement: this.movementValue };
  }

  /**
   * Restarts the prediction from the server's position for our entity after input `ack`.
   *
   * @param ack the snapshot's `ack`
   * @param server our entity's dequantized position in that snapshot; `null` if it was absent
   * @param teleported the server moved our entity against its inputs since the last snapshot (a
   *   teleport or respawn, listed in `teleports`): jump there, do not smooth the difference away
   */
  reconcile(ack: number, server: Vec2 | null, teleported = false): Correction {
    // Drop every input the server has applied (wrap-aware; ack 0 before any input drops nothing).
    let drop = 0;
    while (drop < this.pending.length && !seqNewer(this.pending[drop]!.seq, ack)) drop++;
    if (drop > 0) this.pending.splice(0, drop);
    if (!server) return { error: 0, snapped: false, replayed: 0 };

    const before = this.pos;
    let p = depenetrate(server, this.world, this.movementValue.radius);
    let prev = p;
    const ctx = this.ctx();
    for (const input of this.pending) {
      prev = p;
      p = this.stepFn(p, input, ctx);
    }
    this.pos = p;
    this.prev = prev;

    if (!before) return { error: 0, snapped: true, replayed: this.pending.length };
    const ex = before.x - p.x;
    const ey = before.y - p.y;
    const error = Math.hypot(ex, ey);
    this.offX += ex;
    this.offY += ey;
    const snapped = teleported || Math.hypot(this.offX, this.offY) > this.snapDistance;
    if (snapped) {
      this.offX = 0;
      this.offY = 0;
    }
    if (snapped || error > NOTICEABLE) {
      if (snapped) this.snappedCount++;
      else this.smoothedCount++;
      this.lastErrorValue = error;
    }
    return { error, snapped, replayed: this.pending.length };
  }

  /** Forgets the position (our entity left the world); inputs stay pending. */
  forgetPosition(): void {
    this.pos = null;
    this.prev = null;
    this.offX = 0;
    this.offY = 0;
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
