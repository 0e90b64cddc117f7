/**
 * Types mirroring PROTOCOL.md (wire protocol version 1). Field names are the ones on the wire, so a
 * decoded message compares equal to the golden JSON in `shared/tests/fixtures/`.
 *
 * No Phaser imports here: this module is shared by the game, the unit tests and the Node tests.
 */

/** The protocol version this client speaks (`welcome.protocol`). */
export const PROTOCOL_VERSION = 1;

/** Event names on the wire. */
export const Events = {
  welcome: "welcome",
  snapshot: "snapshot",
  joined: "joined",
  left: "left",
  bye: "bye",
  scores: "scores",
  input: "input",
  ping: "ping",
} as const;

/** Bytes per entity record in a snapshot. */
export const ENTITY_RECORD_SIZE = 7;

/** Largest quantized coordinate (u16). */
export const QUANT_MAX = 65535;

/** Star Collector entity kinds. Other games define their own. */
export const Kind = {
  redShip: 1,
  blueShip: 2,
  star: 3,
} as const;

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

/** Input button bits. */
export const Buttons = {
  action: 1 << 0,
} as const;

/** A wall rectangle `[x, y, w, h]` in world units. */
export type Wall = readonly [x: number, y: number, w: number, h: number];

export interface World {
  readonly width: number;
  readonly height: number;
  readonly walls: readonly Wall[];
}

export interface Movement {
  /** Units per second. */
  readonly max_speed: number;
  /** Half-size of a player's square collision box. */
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
  readonly id: number;
  readonly room: string;
  readonly token: string;
  readonly tick_rate: number;
  readonly snapshot_rate: number;
  readonly tick: number;
  readonly world: World;
  readonly movement: Movement;
  readonly players: readonly PlayerInfo[];
}

/** One decoded entity record, with its dequantized position. */
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
}

/** A decoded `snapshot`. Every snapshot is full: an entity missing from it is gone. */
export interface Snapshot {
  readonly tick: number;
  readonly ack: number;
  readonly entities: readonly EntityState[];
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

export type ByeReason = "shutdown" | "kicked" | "room_error" | "abuse" | "replaced";

/** `bye`: sent just before the server closes the connection. */
export interface Bye {
  readonly reason: ByeReason | (string & {});
  readonly message: string;
}

/** `scores` (Star Collector). */
export interface Scores {
  readonly red: number;
  readonly blue: number;
}

/** Connect auth; every field optional. */
export interface Auth {
  name?: string;
  room?: string;
  token?: string;
}

/** What a client sends each tick: `[seq, dx, dy, buttons]`. */
export type InputMsg = readonly [seq: number, dx: number, dy: number, buttons: number];

/** `connect_error` messages the server documents (others may come from game rules). */
export const ConnectErrors = [
  "invalid_auth",
  "invalid_room",
  "room_full",
  "room_unavailable",
  "invalid_token",
  "too_many_rooms",
  "shutting_down",
  "busy",
] as const;

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
