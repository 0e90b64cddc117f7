/**
 * Decoding of server events and encoding of inputs (PROTOCOL.md, version 1).
 *
 * Socket.IO's MessagePack parser already turns each event's arguments into JS values; the one
 * payload that stays binary is the snapshot, a `bin` holding the MessagePack array
 * `[tick, ack, entities]` whose `entities` are 7-byte little-endian records. Every decoder checks
 * the shape of what it gets and throws {@link ProtocolError} instead of letting a malformed message
 * reach the game.
 */
import { decode } from "@msgpack/msgpack";
import {
  ENTITY_RECORD_SIZE,
  QUANT_MAX,
  splitKind,
  type Bye,
  type EntityState,
  type InputMsg,
  type Joined,
  type Left,
  type Movement,
  type PlayerInfo,
  type RoomInfo,
  type Scores,
  type Snapshot,
  type Wall,
  type Welcome,
  type World,
} from "./protocol";

/** A message that does not have the shape PROTOCOL.md gives it. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Largest snapshot payload accepted (9,362 entities); a guard against absurd input. */
export const MAX_SNAPSHOT_BYTES = 65536;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new ProtocolError(`${what}: expected a map`);
  return v;
}

function uint(v: unknown, what: string, max = 0xffff_ffff): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ProtocolError(`${what}: expected an integer in 0..=${max}, got ${String(v)}`);
  }
  return v;
}

function finite(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ProtocolError(`${what}: expected a finite number, got ${String(v)}`);
  }
  return v;
}

function positive(v: unknown, what: string): number {
  const n = finite(v, what);
  if (n <= 0) throw new ProtocolError(`${what}: expected a positive number, got ${n}`);
  return n;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new ProtocolError(`${what}: expected a string`);
  return v;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what}: expected an array`);
  return v;
}

/** Views any binary payload (ArrayBuffer in browsers, Buffer/Uint8Array in Node) as bytes. */
export function asBytes(v: unknown, what = "payload"): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new ProtocolError(`${what}: expected binary data`);
}

function decodePlayer(v: unknown, what: string): PlayerInfo {
  const o = obj(v, what);
  return { id: uint(o.id, `${what}.id`, 0xffff), name: str(o.name, `${what}.name`) };
}

function decodeWorld(v: unknown): World {
  const o = obj(v, "welcome.world");
  const walls = arr(o.walls, "welcome.world.walls").map((w, i): Wall => {
    const a = arr(w, `welcome.world.walls[${i}]`);
    if (a.length !== 4) throw new ProtocolError(`welcome.world.walls[${i}]: expected [x, y, w, h]`);
    const n = a.map((c, j) => finite(c, `welcome.world.walls[${i}][${j}]`));
    return [n[0]!, n[1]!, n[2]!, n[3]!];
  });
  return {
    width: positive(o.width, "welcome.world.width"),
    height: positive(o.height, "welcome.world.height"),
    walls,
  };
}

function decodeMovement(v: unknown): Movement {
  const o = obj(v, "welcome.movement");
  return {
    max_speed: positive(o.max_speed, "welcome.movement.max_speed"),
    radius: positive(o.radius, "welcome.movement.radius"),
    dt: positive(o.dt, "welcome.movement.dt"),
  };
}

/**
 * Decodes `welcome`. Unknown fields are ignored (newer servers may add some without a version bump).
 *
 * @throws ProtocolError if a documented field is missing or has the wrong type.
 */
export function decodeWelcome(v: unknown): Welcome {
  const o = obj(v, "welcome");
  return {
    protocol: uint(o.protocol, "welcome.protocol"),
    id: uint(o.id, "welcome.id", 0xffff),
    room: str(o.room, "welcome.room"),
    token: str(o.token, "welcome.token"),
    tick_rate: positive(uint(o.tick_rate, "welcome.tick_rate"), "welcome.tick_rate"),
    snapshot_rate: positive(uint(o.snapshot_rate, "welcome.snapshot_rate"), "welcome.snapshot_rate"),
    tick: uint(o.tick, "welcome.tick"),
    world: decodeWorld(o.world),
    movement: decodeMovement(o.movement),
    players: arr(o.players, "welcome.players").map((p, i) => decodePlayer(p, `welcome.players[${i}]`)),
  };
}

/**
 * World coordinate of a quantized one, computed in 32-bit floats exactly like the server
 * (`f32::from(q) / 65535.0 * size`), so both sides agree to the bit.
 */
export function dequantize(q: number, size: number): number {
  return Math.fround(Math.fround(q / QUANT_MAX) * Math.fround(size));
}

/**
 * Decodes the 7-byte entity records of a snapshot. The `kind` byte is split: bits 0-6 are the kind,
 * bit 7 the away flag.
 *
 * @throws ProtocolError if the length is not a multiple of 7.
 */
export function decodeEntities(bytes: Uint8Array, world: Pick<World, "width" | "height">): EntityState[] {
  if (bytes.byteLength % ENTITY_RECORD_SIZE !== 0) {
    throw new ProtocolError(`snapshot.entities: ${bytes.byteLength} bytes is not a multiple of ${ENTITY_RECORD_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: EntityState[] = [];
  for (let off = 0; off < bytes.byteLength; off += ENTITY_RECORD_SIZE) {
    const qx = view.getUint16(off + 3, true);
    const qy = view.getUint16(off + 5, true);
    const { kind, away } = splitKind(view.getUint8(off + 2));
    out.push({
      id: view.getUint16(off, true),
      kind,
      away,
      qx,
      qy,
      x: dequantize(qx, world.width),
      y: dequantize(qy, world.height),
    });
  }
  return out;
}

/**
 * Decodes a `snapshot` payload: a MessagePack `bin` holding `[tick, ack, entities]`.
 *
 * @param payload the event's argument (ArrayBuffer in browsers, Buffer in Node)
 * @param world the world from `welcome`, for dequantization
 * @throws ProtocolError on anything that is not a well-formed snapshot
 */
export function decodeSnapshot(payload: unknown, world: Pick<World, "width" | "height">): Snapshot {
  const bytes = asBytes(payload, "snapshot");
  if (bytes.byteLength > MAX_SNAPSHOT_BYTES) {
    throw new ProtocolError(`snapshot: ${bytes.byteLength} bytes is more than ${MAX_SNAPSHOT_BYTES}`);
  }
  let v: unknown;
  try {
    v = decode(bytes, { maxStrLength: 0, maxMapLength: 0, maxArrayLength: 3, maxBinLength: MAX_SNAPSHOT_BYTES });
  } catch (e) {
    throw new ProtocolError(`snapshot: not MessagePack (${e instanceof Error ? e.message : String(e)})`);
  }
  const a = arr(v, "snapshot");
  if (a.length !== 3) throw new ProtocolError("snapshot: expected [tick, ack, entities]");
  return {
    tick: uint(a[0], "snapshot.tick"),
    ack: uint(a[1], "snapshot.ack"),
    entities: decodeEntities(asBytes(a[2], "snapshot.entities"), world),
  };
}

/** Decodes `joined` (`{ id, name }`). */
export function decodeJoined(v: unknown): Joined {
  return decodePlayer(v, "joined");
}

/** Decodes `left` (`{ id, reason }`). */
export function decodeLeft(v: unknown): Left {
  const o = obj(v, "left");
  return { id: uint(o.id, "left.id", 0xffff), reason: str(o.reason, "left.reason") };
}

/** Decodes `bye` (`{ reason, message }`); a missing message reads as empty. */
export function decodeBye(v: unknown): Bye {
  const o = obj(v, "bye");
  return { reason: str(o.reason, "bye.reason"), message: o.message === undefined ? "" : str(o.message, "bye.message") };
}

/** Decodes `scores` (`{ red, blue }`). */
export function decodeScores(v: unknown): Scores {
  const o = obj(v, "scores");
  return { red: uint(o.red, "scores.red"), blue: uint(o.blue, "scores.blue") };
}

/**
 * Builds the `input` argument `[seq, dx, dy, buttons]`.
 *
 * The direction is rounded to 32-bit floats here, because the server stores it as `f32`: the value
 * the client predicts with is then exactly the value the server moves with. A vector longer than 1
 * is left as is (the server clamps it; so does the prediction).
 *
 * @throws RangeError on a non-finite direction or an out-of-range seq/buttons (a client bug).
 */
export function encodeInput(seq: number, dx: number, dy: number, buttons: number): InputMsg {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff_ffff) throw new RangeError(`seq out of range: ${seq}`);
  if (!Number.isInteger(buttons) || buttons < 0 || buttons > 0xffff_ffff) throw new RangeError(`buttons out of range: ${buttons}`);
  const fx = Math.fround(dx);
  const fy = Math.fround(dy);
  if (!Number.isFinite(fx) || !Number.isFinite(fy)) throw new RangeError(`non-finite direction: ${dx}, ${dy}`);
  // `+ 0` turns -0 into 0, which MessagePack encoders write as the integer 0 (one byte).
  return [seq, fx + 0, fy + 0, buttons];
}

/** Largest lobby accepted from `GET /rooms` (a guard; the server caps its rooms far lower). */
export const MAX_ROOMS_LISTED = 1000;

/**
 * Decodes the JSON body of `GET /rooms` (`{ rooms: [{ id, players, capacity, tick_rate,
 * snapshot_rate }] }`). Unknown fields are ignored.
 *
 * @throws ProtocolError if it does not have that shape.
 */
export function decodeRooms(v: unknown): RoomInfo[] {
  const o = obj(v, "rooms");
  const list = arr(o.rooms, "rooms.rooms");
  if (list.length > MAX_ROOMS_LISTED) throw new ProtocolError(`rooms: ${list.length} rooms is more than ${MAX_ROOMS_LISTED}`);
  return list.map((r, i) => {
    const e = obj(r, `rooms[${i}]`);
    return {
      id: str(e.id, `rooms[${i}].id`),
      players: uint(e.players, `rooms[${i}].players`),
      capacity: uint(e.capacity, `rooms[${i}].capacity`),
      tick_rate: uint(e.tick_rate, `rooms[${i}].tick_rate`),
      snapshot_rate: uint(e.snapshot_rate, `rooms[${i}].snapshot_rate`),
    };
  });
}
