/**
 * One game session: the state a client keeps between one `welcome` and the end of that connection.
 *
 * It ties the pieces together without any Phaser or socket code and without knowing the game: it
 * numbers and sends one input per tick (with the game's input fields, `schema.input`), predicts
 * your own entity (with a game-supplied step, the engine's movement step by default), honours the
 * snapshot's `teleports` (snap) and `movement` (new speed and size), interpolates everyone else
 * (every numeric field too), and keeps the roster and your private fields. The game scene feeds it
 * events and frame times and draws what `frame()` returns.
 *
 * Sessions survive a dropped connection: a `welcome` with the same id, token and room (the server
 * resumed the seat, PROTOCOL.md "Sessions and reconnecting") goes to {@link GameSession.resume},
 * which keeps the input numbering and the unacknowledged inputs. Input stops while there is no
 * link (the caller does not tick), while the resume waits for its first snapshot, and while no
 * snapshot has come for `stallMs` (a link that died before Socket.IO noticed). The first snapshot
 * after the resume carries the server's `ack`; the inputs newer than it (the newest `maxResend` of
 * them, within the server's input burst) are sent again, in order, and numbering goes on after
 * them. Any other `welcome` (a fresh join, e.g. after `invalid_token`) starts a new session.
 */
import { encodeInput, type InputFields } from "./codec";
import { FixedStep } from "./fixed-step";
import { Interpolator, type InterpolationStats, type InterpolatorOptions, type RenderedEntity } from "./interpolation";
import { clampDirection, type Vec2 } from "./movement";
import { Predictor, type Correction, type PredictionStats, type PredictorOptions, type PredictStep } from "./prediction";
import {
  nextSeq,
  seqNewer,
  type FieldValues,
  type InputMsg,
  type Joined,
  type Left,
  type Snapshot,
  type Welcome,
} from "./protocol";

/** What the player asks for in one tick. */
export interface InputSample {
  readonly dx: number;
  readonly dy: number;
  readonly buttons: number;
  /** The game's input fields (`schema.input`) by name; missing ones take their default. */
  readonly fields?: InputFields;
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

/** What the last resume did (for the HUD, tests and debugging). */
export interface ResumeReport {
  /** `ack` of the first snapshot after the resume. */
  readonly ack: number;
  /** Inputs newer than `ack` sent again, oldest first. */
  readonly resent: readonly number[];
  /** Unacknowledged inputs older than those, given up (beyond `maxResend`). */
  readonly givenUp: number;
}

/**
 * The network as the client sees it, for a net graph, the HUD and tests: the interpolator's
 * measurements (delay, jitter, snapshot rate, extrapolation) plus the round trip and reconciliation.
 */
export interface NetStats extends InterpolationStats {
  /** Round-trip time (the connection's pings), ms; null when not known. */
  readonly rttMs: number | null;
  /** Inputs sent and not yet acknowledged. */
  readonly pendingInputs: number;
  /** Reconciliation of your own entity. */
  readonly prediction: PredictionStats;
}

/** Interpolator settings a game may tune (the rest come from `welcome`). */
export type InterpolationTuning = Partial<
  Pick<
    InterpolatorOptions,
    | "delayIntervals"
    | "jitterFactor"
    | "maxDelayMs"
    | "maxExtrapolationMs"
    | "maxSlew"
    | "resyncMs"
    | "smoothingMs"
    | "correctionMs"
    | "snapDistance"
    | "teleportSpeed"
    | "maxCoastMs"
  >
>;

/** Why input is paused (null: it is not). */
export type InputPause = "resuming" | "stalled" | null;

/**
 * Most inputs sent again after a resume: 5/12 of a second of them (25 at 60 Hz), under the
 * server's burst of `tick_rate / 2`, leaving room for the inputs that follow at once.
 */
export function maxResendFor(tickRate: number): number {
  return Math.max(1, Math.floor((tickRate * 5) / 12));
}

export interface SessionOptions {
  /**
   * Entity kinds that do not move smoothly (they sit still, or jump when the rules move them):
   * drawn where the newest snapshot has them, without the interpolation delay. Star Collector's
   * stars: a star you touch vanishes two snapshot intervals sooner.
   */
  readonly staticKinds?: readonly number[];
  /** Predicts one step of your entity. Default: the engine's movement step. */
  readonly step?: PredictStep;
  /** Collision half-size of an entity of `kind` without a player (coasting projectiles). Default 0. */
  readonly radiusOf?: (kind: number) => number;
  /** No snapshot for this long (ms) pauses input: the link is likely dead. Default 300. */
  readonly stallMs?: number;
  /**
   * Reconciliation of your entity: `smoothingMs` (a correction fades over it, default 100) and
   * `snapDistance` (larger ones snap, default max(4·radius, max_speed/4)). `step` is the option above.
   */
  readonly prediction?: Omit<PredictorOptions, "step">;
  /** Interpolation of everyone else: delay, jitter buffer, extrapolation, fading (see {@link InterpolatorOptions}). */
  readonly interpolation?: InterpolationTuning;
  /** Most inputs sent again after a resume. Default {@link maxResendFor}(tick_rate). */
  readonly maxResend?: number;
  /**
   * This `welcome` resumed a seat this session object never saw (the page was reloaded with the
   * stored token): wait for the first snapshot, like {@link GameSession.resume}, and number inputs
   * on from its `ack`, since the server drops any seq not newer than the last it processed.
   */
  readonly resumed?: boolean;
}

export class GameSession {
  readonly id: number;
  readonly names = new Map<number, string>();
  /** The last reconciliation, for the HUD. */
  lastCorrection: Correction | null = null;
  /** Your private fields (`schema.private`) from the newest snapshot that had them. */
  privateFields: FieldValues | null = null;
  /** Fields and buttons to add to the next input only (see {@link GameSession.sendAction}). */
  private action: { buttons: number; fields: Record<string, InputFields[string]> } | null = null;
  /** Newest teleport tick seen for our entity, so that an entry (kept a second) snaps only once. */
  private lastTeleportTick = -1;

  private readonly send: (msg: InputMsg) => void;
  private readonly predictor: Predictor;
  private readonly interp: Interpolator;
  private readonly clock: FixedStep;
  private welcomeValue: Welcome;
  private readonly stallMs: number;
  private readonly maxResend: number;
  private resuming = false;
  private lastSnapshotAt: number | null = null;
  private tickingSince: number | null = null;
  private resumes = 0;
  private lastResumeValue: ResumeReport | null = null;
  private seq = 0;
  private newestTick: number | null = null;
  private ack = 0;
  private ownKind: number | null = null;
  private ownFields: FieldValues | null = null;
  private lastFrameAt: number | null = null;
  private readonly staticKinds: ReadonlySet<number>;
  private newestStatic: RenderedEntity[] = [];
  /** Everyone but you, as last drawn. */
  private others = new Map<number, DrawnEntity>();

  constructor(welcome: Welcome, send: (msg: InputMsg) => void, options: SessionOptions = {}) {
    this.staticKinds = new Set(options.staticKinds ?? []);
    this.welcomeValue = welcome;
    this.stallMs = options.stallMs ?? 300;
    this.maxResend = options.maxResend ?? maxResendFor(welcome.tick_rate);
    this.resuming = options.resumed ?? false;
    this.id = welcome.id;
    this.send = send;
    for (const p of welcome.players) this.names.set(p.id, p.name);
    this.predictor = new Predictor(welcome.world, welcome.movement, {
      ...options.prediction,
      ...(options.step ? { step: options.step } : {}),
    });
    this.interp = new Interpolator({
      tickRate: welcome.tick_rate,
      snapshotRate: welcome.snapshot_rate,
      world: welcome.world,
      schema: welcome.schema,
      ...(options.radiusOf ? { radiusOf: options.radiusOf } : {}),
      // Anything more than twice as fast as a player can go is a jump (a respawned star); entities
      // with a velocity field coast along it and are not judged by this.
      teleportSpeed: welcome.movement.max_speed * 2,
      ...options.interpolation,
    });
    this.clock = new FixedStep(welcome.tick_rate);
  }

  /** The latest `welcome` (the first one, or the one that resumed this session). */
  get welcome(): Welcome {
    return this.welcomeValue;
  }

  /** How many times this session was resumed after a dropped connection. */
  get resumeCount(): number {
    return this.resumes;
  }

  /** What the last resume sent again (null before the first resume's snapshot). */
  get lastResume(): ResumeReport | null {
    return this.lastResumeValue;
  }

  /** The `welcome` resumes this session: the server gave back the same seat (id, token, room). */
  canResume(w: Welcome): boolean {
    const mine = this.welcomeValue;
    return w.id === mine.id && w.token === mine.token && w.room === mine.room && w.tick_rate === mine.tick_rate;
  }

  /**
   * Takes the resumed connection's `welcome`: keeps the input numbering, the unacknowledged inputs
   * and the predicted ship; starts the roster over from `welcome.players` and the interpolation
   * over from the next snapshot. Input stays paused until that snapshot, whose `ack` says which
   * inputs to send again.
   *
   * @throws Error if `w` does not resume this session ({@link canResume}).
   */
  resume(w: Welcome): void {
    if (!this.canResume(w)) throw new Error(`welcome for id ${w.id} in ${w.room} does not resume session ${this.id}`);
    this.welcomeValue = w;
    this.names.clear();
    for (const p of w.players) this.names.set(p.id, p.name);
    this.interp.reset();
    this.clock.reset();
    this.newestTick = null;
    this.lastSnapshotAt = null;
    this.tickingSince = null;
    this.resuming = true;
    this.resumes++;
  }

  /** Why input is paused at local time `now` (ms), or null when inputs may be sampled and sent. */
  inputPause(now: number): InputPause {
    if (this.resuming) return "resuming";
    const since = this.lastSnapshotAt ?? this.tickingSince;
    if (since !== null && now - since > this.stallMs) return "stalled";
    return null;
  }

  /** The last input seq sent (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Inputs sent and not yet acknowledged. */
  get pendingInputs(): number {
    return this.predictor.pendingCount;
  }

  /** Your entity's kind from the newest snapshot, or null if it is not in the world. */
  get ownKindId(): number | null {
    return this.ownKind;
  }

  /** The movement constants predicted with now (welcome's, or a snapshot's `movement`). */
  get movement(): Welcome["movement"] {
    return this.predictor.movement;
  }

  /** Render tick (fractional) of other entities at local time `now`: hold an event until it is reached. */
  renderTick(now: number): number | null {
    return this.interp.renderTick(now);
  }

  /**
   * Adds buttons and input fields to the next input only (a shot, a jump): it then travels in the
   * input stream, applied exactly once on a known tick and resent after a resume like any input.
   * Several actions before the next tick are merged (buttons OR-ed, later fields win).
   */
  sendAction(fields: InputFields = {}, buttons = 0): void {
    const a = (this.action ??= { buttons: 0, fields: {} });
    a.buttons = (a.buttons | buttons) >>> 0;
    Object.assign(a.fields, fields);
  }

  /** Render delay of other entities now, ms (it adapts to the snapshot arrival jitter). */
  get interpolationDelayMs(): number {
    return this.interp.delayMs;
  }

  /**
   * What the client measures of the network: the interpolator's stats (as of the latest time it was
   * given), reconciliation, and `rttMs` as passed in (the session has no socket: pass `Connection.rtt`).
   */
  netStats(rttMs: number | null = null): NetStats {
    return { ...this.interp.stats(), rttMs, pendingInputs: this.predictor.pendingCount, prediction: this.predictor.stats };
  }

  onSnapshot(snapshot: Snapshot, now: number): void {
    if (this.newestTick !== null && snapshot.tick <= this.newestTick) {
      this.interp.push(snapshot, now); // stale: ignored there too, but counted in netStats
      return;
    }
    this.newestTick = snapshot.tick;
    this.lastSnapshotAt = now;
    this.ack = snapshot.ack;
    const own = snapshot.entities.find((e) => e.id === this.id) ?? null;
    this.ownKind = own ? own.kind : null;
    this.ownFields = own ? own.fields : null;
    if (snapshot.private) this.privateFields = snapshot.private;
    if (this.resuming) this.resendAfter(snapshot.ack);
    // Speed or size changed by the rules (absent: welcome's again), before the replay uses them.
    this.predictor.setMovement(snapshot.movement);
    let teleported = false;
    for (const t of snapshot.teleports) {
      if (t.id === this.id && t.tick > this.lastTeleportTick) {
        this.lastTeleportTick = t.tick;
        teleported = true;
      }
    }
    if (!own) this.predictor.forgetPosition();
    this.lastCorrection = this.predictor.reconcile(snapshot.ack, own ? { x: own.x, y: own.y } : null, teleported);
    this.interp.push(snapshot, now);
    if (this.staticKinds.size > 0) {
      this.newestStatic = snapshot.entities
        .filter((e) => this.staticKinds.has(e.kind))
        .map((e) => ({ id: e.id, kind: e.kind, away: e.away, x: e.x, y: e.y, fields: e.fields }));
    }
  }

  /** Sends again, in order, the inputs newer than `ack` (at most `maxResend`); ends the resume. */
  private resendAfter(ack: number): void {
    this.resuming = false;
    // Never number below what the server has processed (a reloaded page starts from 0).
    if (seqNewer(ack, this.seq)) this.seq = ack;
    const givenUp = this.predictor.retainAfter(ack, this.maxResend);
    const resent: number[] = [];
    for (const p of this.predictor.pendingInputs) {
      this.send(p.msg); // exactly as first sent: same seq, direction, buttons and fields
      resent.push(p.seq);
    }
    this.lastResumeValue = { ack, resent, givenUp };
  }

  onJoined(j: Joined): void {
    this.names.set(j.id, j.name);
  }

  onLeft(l: Left): void {
    this.names.delete(l.id);
  }

  /**
   * Runs the input ticks due at local time `now` (ms): for each, samples the input, sends it and
   * predicts it. Returns how many inputs were sent. Sends nothing while input is paused
   * ({@link inputPause}). Call it only while the connection is up.
   *
   * @param sample reads the player's controls; gets your ship's drawn position (for pointer steering)
   */
  tick(now: number, sample: (own: Vec2 | null) => InputSample): number {
    this.tickingSince ??= now;
    if (this.inputPause(now) !== null) {
      this.clock.reset(); // no backlog of inputs when it goes on
      return 0;
    }
    const n = this.clock.advance(now);
    const schema = this.welcomeValue.schema.input;
    for (let i = 0; i < n; i++) {
      const s = sample(this.predictor.renderPosition(this.clock.alpha));
      const a = this.action;
      this.action = null;
      const d = clampDirection(s.dx, s.dy);
      const fields = a ? { ...s.fields, ...a.fields } : (s.fields ?? {});
      const buttons = ((s.buttons | (a?.buttons ?? 0)) >>> 0);
      // Encode before taking the seq: a bad field from the game throws here without a gap in seqs.
      const msg = encodeInput(nextSeq(this.seq), d.x, d.y, buttons, fields, schema);
      this.seq = msg[0];
      this.send(msg);
      this.predictor.applyInput(msg);
    }
    return n;
  }

  /** What to draw at local time `now` (ms). */
  frame(now: number): Frame {
    if (this.lastFrameAt !== null) this.predictor.advance(now - this.lastFrameAt);
    this.lastFrameAt = now;
    // While a resume waits for its first snapshot, the others stay where they were last drawn
    // (rather than vanishing for a round trip and popping back).
    if (!this.resuming) {
      const others = new Map<number, DrawnEntity>();
      for (const e of this.interp.sample(now).values()) {
        if (e.id !== this.id && !this.staticKinds.has(e.kind)) others.set(e.id, { ...e, own: false });
      }
      for (const e of this.newestStatic) {
        if (e.id !== this.id) others.set(e.id, { ...e, own: false });
      }
      this.others = others;
    }
    const entities = new Map(this.others);
    const own = this.predictor.renderPosition(this.clock.alpha);
    if (own && this.ownKind !== null) {
      entities.set(this.id, { id: this.id, kind: this.ownKind, away: false, x: own.x, y: own.y, fields: this.ownFields ?? {}, own: true });
    }
    return { tick: this.newestTick, ack: this.ack, entities };
  }
}
