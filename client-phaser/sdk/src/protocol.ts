/**
 * Types mirroring PROTOCOL.md (wire protocol version 2). Field names are the ones on the wire, so a
 * decoded message compares equal to the golden JSON in `shared/tests/fixtures/`.
 *
 * Nothing here knows a particular game: a game's kinds, fields, input fields, messages and events
 * come from `welcome.schema` (and, for compile-time types, from the game's generated schema file).
 */
export { PROTOCOL_VERSION } from "./generated/vocabulary";

/** Bytes of an entity record's head: id u16, kind byte, qx u16, qy u16. */
export const RECORD_HEAD_SIZE = 7;

/** Bytes per `teleports` entry: id u16, tick u32. */
export const TELEPORT_ENTRY_SIZE = 6;

/** Largest quantized coordinate (u16). */
export const QUANT_MAX = 65535;

/**
 * Bit 7 of a snapshot record's `kind`: the entity's player is away (its connection dropped and the
 * server holds its seat). The kind itself is bits 0-6: always mask with {@link KIND_MASK}.
 */
export const AWAY_BIT = 0x80;
export const KIND_MASK = 0x7f;

/** Splits a record's raw `kind` byte into the kind (bits 0-6) and the away flag (bit 7). */
export function splitKind(raw: number): { kind: number; away: boolean } {
  return { kind: raw & KIND_MASK, away: (raw & AWAY_BIT) !== 0 };
}

/** Input button bits the demo games use (games may define more bits). */
export const Buttons = {
  action: 1 << 0,
} as const;

/** The field types of PROTOCOL.md "Field types". */
export const FIELD_TYPES = ["angle", "uint", "int", "flag", "fixed", "velocity"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One declared field: `{ name, type, bits, min?, max?, steps? }`. */
export interface FieldDoc {
  readonly name: string;
  readonly type: FieldType;
  /** Bits on the wire; for `velocity`, per component (the field takes twice as many). */
  readonly bits: number;
  readonly min?: number;
  readonly max?: number;
  readonly steps?: number;
}

/** One entity kind: `{ id, name, fields }`, fields in record order. */
export interface KindDoc {
  readonly id: number;
  readonly name: string;
  readonly fields: readonly FieldDoc[];
}

export interface MessageDoc {
  readonly name: string;
  readonly max_bytes: number;
}

/** `welcome.schema`: the game's declaration. */
export interface SchemaDoc {
  readonly kinds: readonly KindDoc[];
  readonly input: readonly FieldDoc[];
  readonly private: readonly FieldDoc[];
  readonly messages: readonly MessageDoc[];
  readonly events: readonly string[];
}

/** A decoded field value: numbers for angle/uint/int/fixed, booleans for flags, `[x, y]` for velocity. */
export type FieldValue = number | boolean | readonly [number, number];
export type FieldValues = Readonly<Record<string, FieldValue>>;

/** A wall rectangle `[x, y, w, h]` in world units. */
export type Wall = readonly [x: number, y: number, w: number, h: number];

export interface World {
  readonly width: number;
  readonly height: number;
  readonly walls: readonly Wall[];
}

/** The movement constants of your entity (PROTOCOL.md "Movement step"). */
export interface Movement {
  /** Units per second. */
  readonly max_speed: number;
  /** Half-size of the square collision box. */
  readonly radius: number;
  /** Seconds per tick. */
  readonly dt: number;
}

export interface PlayerInfo {
  readonly id: number;
  readonly name: string;
}

/** `welcome`: first event after connect. */
export interface Welcome {
  readonly protocol: number;
  readonly game: string;
  readonly id: number;
  readonly room: string;
  readonly token: string;
  readonly tick_rate: number;
  readonly snapshot_rate: number;
  readonly tick: number;
  readonly world: World;
  readonly movement: Movement;
  readonly schema: SchemaDoc;
  readonly players: readonly PlayerInfo[];
  /** Snapshots the server keeps as delta baselines (0 or absent: it sends full snapshots only). */
  readonly deltas?: number;
}

/** One decoded entity record, with its dequantized position and its kind's fields. */
export interface EntityState {
  readonly id: number;
  /** The kind, bits 0-6 of the record's `kind` byte (the away bit is masked off). */
  readonly kind: number;
  /** Bit 7 of the record's `kind`: the player is away, its seat held until it reconnects. */
  readonly away: boolean;
  readonly qx: number;
  readonly qy: number;
  readonly x: number;
  readonly y: number;
  readonly fields: FieldValues;
}

/** A `teleports` entry: the server moved `id` against its motion at `tick`. */
export interface Teleport {
  readonly id: number;
  readonly tick: number;
}

/** A decoded `snapshot`. Every snapshot is full: an entity missing from it is gone. */
export interface Snapshot {
  readonly tick: number;
  readonly ack: number;
  readonly entities: readonly EntityState[];
  /** Empty when the element was absent or nil. */
  readonly teleports: readonly Teleport[];
  /** Your private fields, or null when absent. */
  readonly private: FieldValues | null;
  /** Your movement constants when they differ from `welcome.movement`, or null. */
  readonly movement: { readonly max_speed: number; readonly radius: number } | null;
}

/** `joined`: a player entered the room. */
export interface Joined {
  readonly id: number;
  readonly name: string;
}

export type LeftReason = "disconnect" | "kicked" | "timeout";

/** `left`: that player's entity is gone. `reason` is kept as a string: newer servers may add some. */
export interface Left {
  readonly id: number;
  readonly reason: LeftReason | (string & {});
}

export type ByeReasonCode = "shutdown" | "kicked" | "room_error" | "abuse" | "replaced";

/** `bye`: sent just before the server closes the connection. */
export interface Bye {
  readonly reason: ByeReasonCode | (string & {});
  readonly message: string;
}

/** A MessagePack-encodable value (what `options` and message payloads may hold). */
export type WireValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly WireValue[]
  | { readonly [key: string]: WireValue | undefined };

/** Connect auth (PROTOCOL.md "Connecting"). */
export interface Auth {
  protocol: number;
  name?: string;
  room?: string;
  token?: string;
  credential?: string;
  options?: { readonly [key: string]: WireValue | undefined };
}

/** An input field value as sent: numbers (angle, fixed, uint, int), booleans (flag), `[x, y]` (velocity). */
export type InputValue = number | boolean | readonly [number, number];

/** What a client sends each tick: `[seq, dx, dy, buttons, ...fields]`. */
export type InputMsg = readonly [seq: number, dx: number, dy: number, buttons: number, ...fields: InputValue[]];

/** One room of the lobby, `GET /rooms`. */
export interface RoomInfo {
  readonly id: string;
  readonly players: number;
  readonly capacity: number;
  readonly tick_rate: number;
  readonly snapshot_rate: number;
}

/** Room names the server accepts: 1-32 characters of `A-Z a-z 0-9 _ -`. */
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function isValidRoomName(name: string): boolean {
  return ROOM_NAME.test(name);
}

/** `seq` a is newer than b, wrap-aware (less than 2^31 ahead), as the server decides. */
export function seqNewer(a: number, b: number): boolean {
  const diff = (a - b) >>> 0;
  return diff !== 0 && diff < 0x8000_0000;
}

/** The `seq` after `seq` (wraps after 4,294,967,295 to 0). */
export function nextSeq(seq: number): number {
  return (seq + 1) >>> 0;
}

/**
 * Compile-time description of a game, as its generated schema file exports it (`Types`): fields
 * per kind id, input fields, private fields, message payloads and event payloads by name.
 */
export interface GameTypes {
  readonly entities: object;
  readonly input: object;
  readonly private: object;
  readonly messages: object;
  readonly events: object;
}

/** A game with no declared types (anything the schema says, untyped). */
export interface AnyGame extends GameTypes {
  readonly entities: Record<number, FieldValues>;
  readonly input: Record<string, InputValue>;
  readonly private: FieldValues;
  readonly messages: Record<string, WireValue>;
  readonly events: Record<string, unknown>;
}
