/**
 * `window.__tickstate`: a read-only view of what the game scene draws, for tests and debugging.
 * Replaced by a new frozen object every frame; changing it changes nothing in the game.
 */
import type { Frame } from "../sync/session";

export interface TickstateDebug {
  readonly connected: boolean;
  readonly id: number | null;
  readonly tick: number | null;
  readonly ack: number;
  readonly rendered: Readonly<Record<number, Readonly<{ x: number; y: number; kind: number }>>>;
}

declare global {
  interface Window {
    __tickstate?: TickstateDebug;
  }
}

export function publishDebug(connected: boolean, id: number | null, frame: Frame | null): void {
  const rendered: Record<number, Readonly<{ x: number; y: number; kind: number }>> = {};
  if (frame) {
    for (const e of frame.entities.values()) rendered[e.id] = Object.freeze({ x: e.x, y: e.y, kind: e.kind });
  }
  const value: TickstateDebug = Object.freeze({
    connected,
    id,
    tick: frame?.tick ?? null,
    ack: frame?.ack ?? 0,
    rendered: Object.freeze(rendered),
  });
  Object.defineProperty(window, "__tickstate", { value, configurable: true, enumerable: false, writable: false });
}
