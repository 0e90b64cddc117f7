/**
 * One game session: the state a client keeps between one `welcome` and the end of that connection.
 *
 * It ties the pieces together without any Phaser or socket code: it numbers and sends one input per
 * tick, predicts your own ship, interpolates everyone else, and keeps names and scores. The game
 * scene feeds it events and frame times and draws what `frame()` returns; a reconnect (a fresh
 * `welcome`, with a new id in protocol v1) simply starts a new session.
 */
import { encodeInput } from "../net/codec";
import {
  nextSeq,
  type InputMsg,
  type Joined,
  type Left,
  type Scores,
  type Snapshot,
  type Welcome,
} from "../net/protocol";
import { FixedStep } from "./fixed-step";
import { Interpolator, type RenderedEntity } from "./interpolation";
import { clampDirection, type Vec2 } from "./movement";
import { Predictor, type Correction } from "./prediction";

/** What the player asks for in one tick. */
export interface InputSample {
  readonly dx: number;
  readonly dy: number;
  readonly buttons: number;
}

export const IDLE: InputSample = { dx: 0, dy: 0, buttons: 0 };

export interface DrawnEntity extends RenderedEntity {
  /** This is your own ship (predicted, not interpolated). */
  readonly own: boolean;
}

/** Everything a frame draws. */
export interface Frame {
  /** Newest snapshot tick received (null before the first). */
  readonly tick: number | null;
  /** `ack` of the newest snapshot. */
  readonly ack: number;
  readonly entities: ReadonlyMap<number, DrawnEntity>;
}

export interface SessionOptions {
  /**
   * Entity kinds that do not move smoothly (they sit still, or jump when the rules move them):
   * drawn where the newest snapshot has them, without the interpolation delay. Star Collector's
   * stars: a star you touch vanishes two snapshot intervals sooner.
   */
  readonly staticKinds?: readonly number[];
}

export class GameSession {
  readonly welcome: Welcome;
  readonly id: number;
  readonly names = new Map<number, string>();
  scores: Scores = { red: 0, blue: 0 };
  /** The last reconciliation, for the HUD. */
  lastCorrection: Correction | null = null;

  private readonly send: (msg: InputMsg) => void;
  private readonly predictor: Predictor;
  private readonly interp: Interpolator;
  private readonly clock: FixedStep;
  private seq = 0;
  private newestTick: number | null = null;
  private ack = 0;
  private ownKind: number | null = null;
  private lastFrameAt: number | null = null;
  private readonly staticKinds: ReadonlySet<number>;
  private newestStatic: RenderedEntity[] = [];

  constructor(welcome: Welcome, send: (msg: InputMsg) => void, options: SessionOptions = {}) {
    this.staticKinds = new Set(options.staticKinds ?? []);
    this.welcome = welcome;
    this.id = welcome.id;
    this.send = send;
    for (const p of welcome.players) this.names.set(p.id, p.name);
    this.predictor = new Predictor(welcome.world, welcome.movement);
    this.interp = new Interpolator({
      tickRate: welcome.tick_rate,
      snapshotRate: welcome.snapshot_rate,
      width: welcome.world.width,
      height: welcome.world.height,
      // Anything more than twice as fast as a ship can go is a jump (a respawned star).
      teleportSpeed: welcome.movement.max_speed * 2,
    });
    this.clock = new FixedStep(welcome.tick_rate);
  }

  /** The last input seq sent (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Inputs sent and not yet acknowledged. */
  get pendingInputs(): number {
    return this.predictor.pendingCount;
  }

  /** Your ship's kind (team) from the newest snapshot, or null if it is not in the world. */
  get ownTeam(): number | null {
    return this.ownKind;
  }

  /** Render delay of other entities, ms. */
  get interpolationDelayMs(): number {
    return this.interp.delayMs;
  }

  onSnapshot(snapshot: Snapshot, now: number): void {
    if (this.newestTick !== null && snapshot.tick <= this.newestTick) return; // stale
    this.newestTick = snapshot.tick;
    this.ack = snapshot.ack;
    const own = snapshot.entities.find((e) => e.id === this.id) ?? null;
    this.ownKind = own ? own.kind : null;
    this.lastCorrection = this.predictor.reconcile(snapshot.ack, own ? { x: own.x, y: own.y } : null);
    this.interp.push(snapshot, now);
    if (this.staticKinds.size > 0) {
      this.newestStatic = snapshot.entities
        .filter((e) => this.staticKinds.has(e.kind))
        .map((e) => ({ id: e.id, kind: e.kind, x: e.x, y: e.y }));
    }
  }

  onJoined(j: Joined): void {
    this.names.set(j.id, j.name);
  }

  onLeft(l: Left): void {
    this.names.delete(l.id);
  }

  onScores(s: Scores): void {
    this.scores = s;
  }

  /**
   * Runs the input ticks due at local time `now` (ms): for each, samples the input, sends it and
   * predicts it. Returns how many inputs were sent.
   *
   * @param sample reads the player's controls; gets your ship's drawn position (for pointer steering)
   */
  tick(now: number, sample: (own: Vec2 | null) => InputSample): number {
    const n = this.clock.advance(now);
    for (let i = 0; i < n; i++) {
      const s = sample(this.predictor.renderPosition(this.clock.alpha));
      this.seq = nextSeq(this.seq);
      const d = clampDirection(s.dx, s.dy);
      const msg = encodeInput(this.seq, d.x, d.y, s.buttons >>> 0);
      this.send(msg);
      this.predictor.applyInput(msg[0], msg[1], msg[2]);
    }
    return n;
  }

  /** What to draw at local time `now` (ms). */
  frame(now: number): Frame {
    if (this.lastFrameAt !== null) this.predictor.advance(now - this.lastFrameAt);
    this.lastFrameAt = now;
    const entities = new Map<number, DrawnEntity>();
    for (const e of this.interp.sample(now).values()) {
      if (e.id !== this.id && !this.staticKinds.has(e.kind)) entities.set(e.id, { ...e, own: false });
    }
    for (const e of this.newestStatic) {
      if (e.id !== this.id) entities.set(e.id, { ...e, own: false });
    }
    const own = this.predictor.renderPosition(this.clock.alpha);
    if (own && this.ownKind !== null) {
      entities.set(this.id, { id: this.id, kind: this.ownKind, x: own.x, y: own.y, own: true });
    }
    return { tick: this.newestTick, ack: this.ack, entities };
  }
}
