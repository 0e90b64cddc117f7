/**
 * `window.__tickstate`: a read-only view of what the game scene draws, for tests and debugging.
 * Replaced by a new frozen object every frame; changing it changes nothing in the game.
 */
import type Phaser from "phaser";
import type { ConnectionState, FieldValues, Frame, NetStats, ResumeReport } from "tickstate-sdk";

export interface RenderedDebug {
  readonly x: number;
  readonly y: number;
  /** Kind without the away bit. */
  readonly kind: number;
  /** The entity's player is away (bit 7 of the snapshot's kind). */
  readonly away: boolean;
  /** The kind's declared fields by name, as drawn (e.g. Arena's `hp`, `angle`, `shield`). */
  readonly fields: FieldValues;
  /** Where it is drawn on the page, in CSS pixels (what `page.mouse.move` takes). */
  readonly screen: Readonly<{ x: number; y: number }>;
  /** Arena: a bolt drawn before the server's came (your own shot, predicted). */
  readonly predicted?: boolean;
}

/** One entity as a scene drew it (a session frame's entity, or anything else the scene draws). */
export interface DrawnDebug {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly kind: number;
  readonly away: boolean;
  readonly fields: FieldValues;
  readonly predicted?: boolean;
}

export interface TickstateDebug {
  /** The game the server hosts (`welcome.game`), or null before the first `welcome`. */
  readonly game: string | null;
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
  /** What else the game's scene reports (Arena: chat, kill feed, scoreboard, respawn countdown). */
  readonly extra: Readonly<Record<string, unknown>> | null;
}

export interface DebugState {
  readonly game?: string | null;
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
  /** What is drawn, when it is not just `frame.entities` (Arena adds its bolts). */
  readonly drawn?: Iterable<DrawnDebug>;
  /** World position to page CSS pixels (see {@link screenMapper}). */
  readonly toScreen?: (x: number, y: number) => { x: number; y: number };
  readonly extra?: Readonly<Record<string, unknown>> | null;
}

/**
 * World units to page CSS pixels for a scene's main camera: the camera's viewport and scroll,
 * then the canvas's place and scale on the page (`Scale.FIT` letterboxes it).
 */
export function screenMapper(scene: Phaser.Scene): (x: number, y: number) => { x: number; y: number } {
  const rect = scene.game.canvas.getBoundingClientRect();
  const size = scene.scale.gameSize;
  const cam = scene.cameras.main;
  const kx = size.width > 0 ? rect.width / size.width : 1;
  const ky = size.height > 0 ? rect.height / size.height : 1;
  return (x, y) => ({ x: rect.left + (cam.x + x - cam.scrollX) * kx, y: rect.top + (cam.y + y - cam.scrollY) * ky });
}

declare global {
  interface Window {
    __tickstate?: TickstateDebug;
  }
}

export function publishDebug(d: DebugState): void {
  const rendered: Record<number, RenderedDebug> = {};
  const drawn: Iterable<DrawnDebug> = d.drawn ?? d.frame?.entities.values() ?? [];
  const toScreen = d.toScreen ?? ((x: number, y: number) => ({ x, y }));
  for (const e of drawn) {
    rendered[e.id] = Object.freeze({
      x: e.x,
      y: e.y,
      kind: e.kind,
      away: e.away,
      fields: Object.freeze({ ...e.fields }),
      screen: Object.freeze(toScreen(e.x, e.y)),
      ...(e.predicted ? { predicted: true } : {}),
    });
  }
  const value: TickstateDebug = Object.freeze({
    game: d.game ?? null,
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
    extra: d.extra ? Object.freeze({ ...d.extra }) : null,
  });
  Object.defineProperty(window, "__tickstate", { value, configurable: true, enumerable: false, writable: false });
}
