/** A world and movement like the golden `welcome` (1600 × 1200, one wall, 240 units/s at 60 Hz). */
import type { Movement, Snapshot, Welcome, World } from "../../src/net/protocol";
import { dequantize } from "../../src/net/codec";

export const world: World = { width: 1600, height: 1200, walls: [[100, 200, 300, 32]] };
export const movement: Movement = { max_speed: 240, radius: 16, dt: Math.fround(1 / 60) };

export const welcome: Welcome = {
  protocol: 1,
  id: 5,
  room: "main",
  token: "00112233445566778899aabbccddeeff",
  tick_rate: 60,
  snapshot_rate: 30,
  tick: 1000,
  world,
  movement,
  players: [
    { id: 5, name: "Ada" },
    { id: 9, name: "Linus" },
  ],
};

/** Quantizes like the server (`round(clamp(x / size, 0, 1) * 65535)` in f32). */
export function quantize(v: number, size: number): number {
  const u = Math.min(1, Math.max(0, Math.fround(Math.fround(v) / Math.fround(size))));
  return Math.round(Math.fround(u * 65535));
}

/** A snapshot entity as the client decodes it, from an exact server position. */
export function entity(id: number, kind: number, x: number, y: number) {
  const qx = quantize(x, world.width);
  const qy = quantize(y, world.height);
  return { id, kind: kind & 0x7f, away: (kind & 0x80) !== 0, qx, qy, x: dequantize(qx, world.width), y: dequantize(qy, world.height) };
}

export function snapshot(tick: number, ack: number, entities: ReturnType<typeof entity>[]): Snapshot {
  return { tick, ack, entities };
}
