/**
 * The net graph's text (no Phaser here, so that it is unit-tested): what the client measures of the
 * network, from `GameSession.netStats`. The HUD shows it over the field; N or ` toggles it.
 */
import type { NetStats } from "tickstate-sdk";

/** Keys that toggle the net graph (Phaser key names). */
export const NET_GRAPH_KEYS = ["N", "BACKTICK"] as const;

function ms(v: number | null): string {
  return v === null ? "–" : `${Math.round(v)} ms`;
}

/** The net graph's lines, one measurement each. */
export function netGraphLines(n: NetStats): string[] {
  const extrapolating = `${Math.round(n.extrapolationFraction * 100)}% of frames (${n.extrapolatedFrames} of ${n.frames})`;
  return [
    `ping        ${ms(n.rttMs)}`,
    `jitter      ${ms(n.jitterMs)}`,
    `interp      ${ms(n.delayMs)}   buffer ${ms(n.bufferMs)}`,
    `snapshots   ${n.snapshotRate}/s   stale ${n.stale}`,
    `extrapol.   ${extrapolating}`,
    `remote fix  ${n.corrections} faded, ${n.snaps} snapped`,
    `own fix     ${n.prediction.smoothed} faded, ${n.prediction.snapped} snapped   pending ${n.pendingInputs}`,
  ];
}
