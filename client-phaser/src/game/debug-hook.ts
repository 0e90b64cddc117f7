/**
 * `window.__tickstate`: a read-only view of what the game scene draws, for tests and debugging.
 * Replaced by a new frozen object every frame; changing it changes nothing in the game.
 */
import type { ConnectionState, Frame, NetStats, ResumeReport } from "tickstate-sdk";

export interface RenderedDebug {
  readonly x: number;
  readonly y: number;
  /** Kind without the away bit. */
  readonly kind: number;
  /** The entity's player is away (bit 7 of the snapshot's kind). */
  readonly away: boolean;
}

export interface TickstateDebug {
  readonly connected: boolean;
  readonly state: ConnectionState;
  /** Why the connection is not up (a `bye` or `connect_error` reason), or null. */
  readonly reason: string | null;
  readonly id: number | null;
  readonly room: string | null;
  /** Times this session was resumed after a dropped connection. */
  readonly resumes: number;
  /** What the last resume sent again: its `ack`, the seqs resent, how many were given up. */
  readonly lastResume: Readonly<{ ack: number; resent: readonly number[]; givenUp: number }> | null;
  readonly tick: number | null;
  readonly ack: number;
  /** The latest `scores` event (Star Collector), or null before the first. */
  readonly scores: Readonly<{ red: number; blue: number }> | null;
  /** Server messages the SDK could not decode and dropped (should stay 0). */
  readonly protocolErrors: number;
  readonly rendered: Readonly<Record<number, RenderedDebug>>;
  /**
   * `GameSession.netStats`: ping (`rttMs`), `jitterMs`, `delayMs`, `bufferMs`, `snapshotRate`,
   * extrapolation (`extrapolationFraction`, `extrapolatedFrames` of `frames`), corrections; null before a session.
   */
  readonly net: Readonly<NetStats> | null;
  /** The net graph overlay is shown (N or ` toggles it). */
  readonly netGraph: boolean;
}

export interface DebugState {
  readonly connected: boolean;
  readonly state: ConnectionState;
  readonly reason: string | null;
  readonly id: number | null;
  readonly room: string | null;
  readonly resumes: number;
  readonly lastResume: ResumeReport | null;
  readonly frame: Frame | null;
  readonly scores?: { readonly red: number; readonly blue: number } | null;
  readonly protocolErrors?: number;
  readonly net?: NetStats | null;
  readonly netGraph?: boolean;
}

declare global {
  interface Window {
    __tickstate?: TickstateDebug;
  }
}

export function publishDebug(d: DebugState): void {
  const rendered: Record<number, RenderedDebug> = {};
  if (d.frame) {
    for (const e of d.frame.entities.values()) {
      rendered[e.id] = Object.freeze({ x: e.x, y: e.y, kind: e.kind, away: e.away });
    }
  }
  const value: TickstateDebug = Object.freeze({
    connected: d.connected,
    state: d.state,
    reason: d.reason,
    id: d.id,
    room: d.room,
    resumes: d.resumes,
    lastResume: d.lastResume ? Object.freeze({ ...d.lastResume, resent: Object.freeze([...d.lastResume.resent]) }) : null,
    tick: d.frame?.tick ?? null,
    ack: d.frame?.ack ?? 0,
    scores: d.scores ? Object.freeze({ red: d.scores.red, blue: d.scores.blue }) : null,
    protocolErrors: d.protocolErrors ?? 0,
    rendered: Object.freeze(rendered),
    net: d.net ? Object.freeze({ ...d.net, prediction: Object.freeze({ ...d.net.prediction }) }) : null,
    netGraph: d.netGraph ?? false,
  });
  Object.defineProperty(window, "__tickstate", { value, configurable: true, enumerable: false, writable: false });
}
