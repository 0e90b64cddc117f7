/** A world and movement like the golden `welcome` (1600 × 1200, one wall, 240 units/s at 60 Hz). */
import type { EntityState, FieldValues, Movement, SchemaDoc, Snapshot, Teleport, Welcome, World } from "../src/protocol";
import { dequantize, quantize } from "../src/codec";

export const world: World = { width: 1600, height: 1200, walls: [[100, 200, 300, 32]] };
export const movement: Movement = { max_speed: 240, radius: 16, dt: Math.fround(1 / 60) };

/** Three field-less kinds, like Star Collector's. */
export const plainSchema: SchemaDoc = {
  kinds: [
    { id: 1, name: "red_ship", fields: [] },
    { id: 2, name: "blue_ship", fields: [] },
    { id: 3, name: "star", fields: [] },
  ],
  input: [],
  private: [],
  messages: [],
  events: ["scores"],
};

export const welcome: Welcome = {
  protocol: 2,
  game: "test",
  id: 5,
  room: "main",
  token: "00112233445566778899aabbccddeeff",
  tick_rate: 60,
  snapshot_rate: 30,
  tick: 1000,
  world,
  movement,
  schema: plainSchema,
  players: [
    { id: 5, name: "Ada" },
    { id: 9, name: "Linus" },
  ],
};

export { quantize };

/** A snapshot entity as the client decodes it, from an exact server position. */
export function entity(id: number, kind: number, x: number, y: number, fields: FieldValues = {}): EntityState {
  const qx = quantize(x, world.width);
  const qy = quantize(y, world.height);
  return { id, kind: kind & 0x7f, away: (kind & 0x80) !== 0, qx, qy, x: dequantize(qx, world.width), y: dequantize(qy, world.height), fields };
}

export function snapshot(
  tick: number,
  ack: number,
  entities: EntityState[],
  extra: { teleports?: Teleport[]; movement?: Snapshot["movement"]; private?: FieldValues } = {},
): Snapshot {
  return { tick, ack, entities, teleports: extra.teleports ?? [], private: extra.private ?? null, movement: extra.movement ?? null };
}
