/**
 * A fixed-rate clock driven by frame times: how many ticks are due at each frame, and how far the
 * frame is into the next tick (for drawing between ticks).
 *
 * Inputs are sampled on this clock at `tick_rate`, one per tick, so each input is exactly one
 * server step. After a long stall (a background tab) it does not try to send the backlog: it runs
 * at most `maxCatchUp` ticks and drops the rest of the debt.
 */
export class FixedStep {
  readonly stepMs: number;
  private readonly maxCatchUp: number;
  private last: number | null = null;
  private acc = 0;

  constructor(rateHz: number, maxCatchUp = 4) {
    if (!(rateHz > 0)) throw new RangeError(`rate must be positive, got ${rateHz}`);
    this.stepMs = 1000 / rateHz;
    this.maxCatchUp = maxCatchUp;
  }

  /** Moves the clock to `now` (ms) and returns how many ticks to run. The first call starts it and runs one. */
  advance(now: number): number {
    if (this.last === null) {
      this.last = now;
      this.acc = 0;
      return 1;
    }
    this.acc += Math.max(0, now - this.last);
    this.last = now;
    let n = Math.floor(this.acc / this.stepMs);
    this.acc -= n * this.stepMs;
    if (n > this.maxCatchUp) {
      n = this.maxCatchUp;
      this.acc = 0;
    }
    return n;
  }

  /** Fraction of the current tick that has passed, in [0, 1). */
  get alpha(): number {
    return Math.min(0.999, this.acc / this.stepMs);
  }

  reset(): void {
    this.last = null;
    this.acc = 0;
  }
}
