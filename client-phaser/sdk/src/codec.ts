/**
 * Decoding of server events and encoding of inputs (PROTOCOL.md, version 2).
 *
 * Socket.IO's MessagePack parser already turns each event's arguments into JS values; the one
 * payload that stays binary is the snapshot, a `bin` holding the MessagePack array
 * `[tick, ack, entities, teleports?, private?, movement?]`. Entity records are decoded from
 * `welcome.schema` alone (a {@link SnapshotCodec} compiled from it), so the SDK reads any game.
 * Every decoder checks the shape of what it gets and throws {@link ProtocolError} instead of letting
 * a malformed message reach the game.
 */
import { decode, encode } from "@msgpack/msgpack";
import { LIMITS } from "./generated/vocabulary";
import {
  BitReader,
  BitWriter,
  encodeInputField,
  FieldError,
  fieldBytes,
  readFields,
  validateField,
  writeFields,
} from "./fields";
import {
  FIELD_TYPES,
  QUANT_MAX,
  RECORD_HEAD_SIZE,
  splitKind,
  TELEPORT_ENTRY_SIZE,
  type Bye,
  type EntityState,
  type FieldDoc,
  type FieldType,
  type FieldValues,
  type InputMsg,
  type InputValue,
  type Joined,
  type KindDoc,
  type Left,
  type MessageDoc,
  type Movement,
  type PlayerInfo,
  type RoomInfo,
  type SchemaDoc,
  type Snapshot,
  type Teleport,
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

/** Largest snapshot payload accepted (the server's own limit). */
export const MAX_SNAPSHOT_BYTES = LIMITS.maxSnapshotBytes;

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

function decodeField(v: unknown, what: string): FieldDoc {
  const o = obj(v, what);
  const type = str(o.type, `${what}.type`);
  if (!(FIELD_TYPES as readonly string[]).includes(type)) throw new ProtocolError(`${what}.type: unknown field type ${type}`);
  const doc: { -readonly [K in keyof FieldDoc]: FieldDoc[K] } = {
    name: str(o.name, `${what}.name`),
    type: type as FieldType,
    bits: uint(o.bits, `${what}.bits`, 32),
  };
  for (const p of ["min", "max", "steps"] as const) {
    if (o[p] !== undefined && o[p] !== null) doc[p] = finite(o[p], `${what}.${p}`);
  }
  try {
    validateField(doc, what);
  } catch (e) {
    throw new ProtocolError(e instanceof Error ? e.message : String(e));
  }
  return doc;
}

function decodeFieldList(v: unknown, what: string): FieldDoc[] {
  const list = arr(v, what).map((f, i) => decodeField(f, `${what}[${i}]`));
  const names = new Set<string>();
  for (const f of list) {
    if (names.has(f.name)) throw new ProtocolError(`${what}: field ${f.name} declared twice`);
    names.add(f.name);
  }
  return list;
}

/**
 * Decodes `welcome.schema`. Unknown map fields are ignored; every field declaration is checked
 * against PROTOCOL.md "Field types" (a record of the wrong length would misread every record after it).
 */
export function decodeSchema(v: unknown, what = "welcome.schema"): SchemaDoc {
  const o = obj(v, what);
  const kinds = arr(o.kinds, `${what}.kinds`).map((k, i): KindDoc => {
    const ko = obj(k, `${what}.kinds[${i}]`);
    const id = uint(ko.id, `${what}.kinds[${i}].id`, 127);
    if (id < 1) throw new ProtocolError(`${what}.kinds[${i}].id: kinds are 1..=127`);
    return { id, name: str(ko.name, `${what}.kinds[${i}].name`), fields: decodeFieldList(ko.fields, `${what}.kinds[${i}].fields`) };
  });
  const ids = new Set<number>();
  for (const k of kinds) {
    if (ids.has(k.id)) throw new ProtocolError(`${what}.kinds: kind ${k.id} declared twice`);
    ids.add(k.id);
  }
  const messages = arr(o.messages ?? [], `${what}.messages`).map((m, i): MessageDoc => {
    const mo = obj(m, `${what}.messages[${i}]`);
    return { name: str(mo.name, `${what}.messages[${i}].name`), max_bytes: uint(mo.max_bytes, `${what}.messages[${i}].max_bytes`) };
  });
  return {
    kinds,
    input: decodeFieldList(o.input ?? [], `${what}.input`),
    private: decodeFieldList(o.private ?? [], `${what}.private`),
    messages,
    events: arr(o.events ?? [], `${what}.events`).map((e, i) => str(e, `${what}.events[${i}]`)),
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
    game: str(o.game, "welcome.game"),
    id: uint(o.id, "welcome.id", 0xffff),
    room: str(o.room, "welcome.room"),
    token: str(o.token, "welcome.token"),
    tick_rate: positive(uint(o.tick_rate, "welcome.tick_rate"), "welcome.tick_rate"),
    snapshot_rate: positive(uint(o.snapshot_rate, "welcome.snapshot_rate"), "welcome.snapshot_rate"),
    tick: uint(o.tick, "welcome.tick"),
    world: decodeWorld(o.world),
    movement: decodeMovement(o.movement),
    schema: decodeSchema(o.schema),
    players: arr(o.players, "welcome.players").map((p, i) => decodePlayer(p, `welcome.players[${i}]`)),
    // Present only when the server offers deltas (PROTOCOL.md "Delta snapshots").
    ...(o.deltas === undefined || o.deltas === null ? {} : { deltas: uint(o.deltas, "welcome.deltas") }),
  };
}

/**
 * World coordinate of a quantized one, computed in 32-bit floats exactly like the server
 * (`f32::from(q) / 65535.0 * size`), so both sides agree to the bit.
 */
export function dequantize(q: number, size: number): number {
  return Math.fround(Math.fround(q / QUANT_MAX) * Math.fround(size));
}

/** Quantizes like the server (`round(clamp(x / size, 0, 1) * 65535)` in f32). */
export function quantize(v: number, size: number): number {
  const u = Math.min(1, Math.max(0, Math.fround(Math.fround(v) / Math.fround(size))));
  return Math.round(Math.fround(u * QUANT_MAX));
}

interface CompiledKind {
  readonly doc: KindDoc;
  /** Bytes of the packed fields after the 7-byte head. */
  readonly fieldBytes: number;
}

/** A snapshot document before its `entities` bin is read (a delta block when `base` is set). */
export interface SnapshotParts {
  readonly tick: number;
  readonly ack: number;
  readonly entities: Uint8Array;
  readonly teleports: Teleport[];
  readonly private: FieldValues | null;
  readonly movement: Snapshot["movement"];
  /** The baseline tick of a delta document, null for a full one (a keyframe). */
  readonly base: number | null;
}

/** What a snapshot decoder needs: the schema and the world size (for dequantization). */
export interface SnapshotContext {
  readonly schema: SchemaDoc;
  readonly world: Pick<World, "width" | "height">;
}

/**
 * Decodes (and, for tests and tools, encodes) snapshots of one game: the record length of each kind
 * is worked out once from the schema.
 */
export class SnapshotCodec {
  readonly schema: SchemaDoc;
  readonly world: Pick<World, "width" | "height">;
  private readonly kinds = new Map<number, CompiledKind>();
  private readonly privateBytes: number;

  constructor(ctx: SnapshotContext) {
    this.schema = ctx.schema;
    this.world = ctx.world;
    for (const k of ctx.schema.kinds) this.kinds.set(k.id, { doc: k, fieldBytes: fieldBytes(k.fields) });
    this.privateBytes = fieldBytes(ctx.schema.private);
  }

  /** The kind declaration for `id`, or undefined. */
  kind(id: number): KindDoc | undefined {
    return this.kinds.get(id)?.doc;
  }

  /**
   * Decodes the records of `entities`, back to back.
   *
   * @throws ProtocolError on a kind not in the schema or a truncated record
   */
  decodeEntities(bytes: Uint8Array): EntityState[] {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: EntityState[] = [];
    let off = 0;
    while (off < bytes.byteLength) {
      if (off + RECORD_HEAD_SIZE > bytes.byteLength) {
        throw new ProtocolError(`snapshot.entities: truncated record head at byte ${off} of ${bytes.byteLength}`);
      }
      const id = view.getUint16(off, true);
      const { kind, away } = splitKind(view.getUint8(off + 2));
      const k = this.kinds.get(kind);
      if (!k) throw new ProtocolError(`snapshot.entities: entity ${id} has kind ${kind}, which the schema does not declare`);
      const end = off + RECORD_HEAD_SIZE + k.fieldBytes;
      if (end > bytes.byteLength) {
        throw new ProtocolError(`snapshot.entities: record of entity ${id} (kind ${kind}) needs ${end - off} bytes, ${bytes.byteLength - off} left`);
      }
      const qx = view.getUint16(off + 3, true);
      const qy = view.getUint16(off + 5, true);
      const fields = k.doc.fields.length === 0 ? EMPTY : readFields(k.doc.fields, new BitReader(bytes, off + RECORD_HEAD_SIZE, end));
      out.push({ id, kind, away, qx, qy, x: dequantize(qx, this.world.width), y: dequantize(qy, this.world.height), fields });
      off = end;
    }
    return out;
  }

  /**
   * Decodes a `snapshot` payload: a MessagePack `bin` holding `[tick, ack, entities, teleports?,
   * private?, movement?]` (3 to 6 elements; nil for an absent one).
   *
   * @throws ProtocolError on anything that is not a well-formed snapshot of this schema
   */
  decode(payload: unknown): Snapshot {
    const parts = this.decodeParts(payload);
    if (parts.base !== null) {
      throw new ProtocolError(`snapshot: a delta against tick ${parts.base}; decode deltas with a SnapshotReceiver`);
    }
    return this.withEntities(parts, this.decodeEntities(parts.entities));
  }

  /** A decoded document with the entities it carries. */
  withEntities(parts: SnapshotParts, entities: EntityState[]): Snapshot {
    return { tick: parts.tick, ack: parts.ack, entities, teleports: parts.teleports, private: parts.private, movement: parts.movement };
  }

  /** The record length of a kind (head included), or undefined for an undeclared kind. */
  recordBytes(kind: number): number | undefined {
    const k = this.kinds.get(kind);
    return k ? RECORD_HEAD_SIZE + k.fieldBytes : undefined;
  }

  /**
   * Decodes a snapshot document, full (3 to 6 elements) or delta (7: `base` last), without reading
   * its `entities` bin.
   *
   * @throws ProtocolError on anything that is not a well-formed snapshot document
   */
  decodeParts(payload: unknown): SnapshotParts {
    const bytes = asBytes(payload, "snapshot");
    if (bytes.byteLength > MAX_SNAPSHOT_BYTES) {
      throw new ProtocolError(`snapshot: ${bytes.byteLength} bytes is more than ${MAX_SNAPSHOT_BYTES}`);
    }
    let v: unknown;
    try {
      v = decode(bytes, { maxStrLength: 0, maxMapLength: 0, maxArrayLength: 7, maxBinLength: MAX_SNAPSHOT_BYTES });
    } catch (e) {
      throw new ProtocolError(`snapshot: not MessagePack (${e instanceof Error ? e.message : String(e)})`);
    }
    const a = arr(v, "snapshot");
    if (a.length < 3 || a.length > 7) throw new ProtocolError(`snapshot: expected 3 to 7 elements, got ${a.length}`);
    const teleports: Teleport[] = [];
    if (a[3] !== undefined && a[3] !== null) {
      const t = asBytes(a[3], "snapshot.teleports");
      if (t.byteLength % TELEPORT_ENTRY_SIZE !== 0) {
        throw new ProtocolError(`snapshot.teleports: ${t.byteLength} bytes is not a multiple of ${TELEPORT_ENTRY_SIZE}`);
      }
      const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
      for (let off = 0; off < t.byteLength; off += TELEPORT_ENTRY_SIZE) {
        teleports.push({ id: view.getUint16(off, true), tick: view.getUint32(off + 2, true) });
      }
    }
    let priv: FieldValues | null = null;
    if (a[4] !== undefined && a[4] !== null) {
      const p = asBytes(a[4], "snapshot.private");
      if (p.byteLength < this.privateBytes) {
        throw new ProtocolError(`snapshot.private: ${p.byteLength} bytes, the schema needs ${this.privateBytes}`);
      }
      try {
        priv = readFields(this.schema.private, new BitReader(p, 0, p.byteLength));
      } catch (e) {
        throw new ProtocolError(`snapshot.private: ${e instanceof FieldError ? e.message : String(e)}`);
      }
    }
    let movement: Snapshot["movement"] = null;
    if (a[5] !== undefined && a[5] !== null) {
      const m = arr(a[5], "snapshot.movement");
      if (m.length !== 2) throw new ProtocolError("snapshot.movement: expected [max_speed, radius]");
      const speed = finite(m[0], "snapshot.movement.max_speed");
      const radius = finite(m[1], "snapshot.movement.radius");
      if (speed < 0 || radius < 0) throw new ProtocolError("snapshot.movement: negative value");
      movement = { max_speed: speed, radius };
    }
    return {
      tick: uint(a[0], "snapshot.tick"),
      ack: uint(a[1], "snapshot.ack"),
      entities: asBytes(a[2], "snapshot.entities"),
      teleports,
      private: priv,
      movement,
      base: a.length >= 7 ? uint(a[6], "snapshot.base") : null,
    };
  }

  /**
   * Encodes a snapshot like the server does (for round-trip tests, bots and tools). Positions are
   * taken from `qx`/`qy`; trailing absent elements are left out.
   */
  encode(s: Snapshot): Uint8Array {
    const parts: number[] = [];
    for (const e of s.entities) {
      const k = this.kinds.get(e.kind);
      if (!k) throw new ProtocolError(`encode: kind ${e.kind} is not in the schema`);
      parts.push(e.id & 0xff, e.id >> 8, e.kind | (e.away ? 0x80 : 0), e.qx & 0xff, e.qx >> 8, e.qy & 0xff, e.qy >> 8);
      if (k.doc.fields.length > 0) parts.push(...writeFields(k.doc.fields, e.fields, new BitWriter()).bytes());
    }
    const arrOut: unknown[] = [s.tick, s.ack, Uint8Array.from(parts)];
    const tele = new Uint8Array(s.teleports.length * TELEPORT_ENTRY_SIZE);
    const tv = new DataView(tele.buffer);
    s.teleports.forEach((t, i) => {
      tv.setUint16(i * TELEPORT_ENTRY_SIZE, t.id, true);
      tv.setUint32(i * TELEPORT_ENTRY_SIZE + 2, t.tick, true);
    });
    arrOut.push(s.teleports.length > 0 ? tele : null);
    arrOut.push(s.private ? writeFields(this.schema.private, s.private).bytes() : null);
    arrOut.push(s.movement ? new F32Pair(s.movement.max_speed, s.movement.radius) : null);
    while (arrOut.length > 3 && arrOut.at(-1) === null) arrOut.pop();
    // Element by element: the server writes movement as two f32 even when they are whole numbers,
    // which a generic encoder would write as integers.
    const chunks = [Uint8Array.of(0x90 | arrOut.length), ...arrOut.map((e) => (e instanceof F32Pair ? e.bytes() : encode(e)))];
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

const EMPTY: FieldValues = Object.freeze({});

/** `[a, b]` as a MessagePack array of two float32. */
class F32Pair {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {}
  bytes(): Uint8Array {
    const out = new Uint8Array(11);
    const v = new DataView(out.buffer);
    out[0] = 0x92;
    out[1] = 0xca;
    v.setFloat32(2, this.a);
    out[6] = 0xca;
    v.setFloat32(7, this.b);
    return out;
  }
}

/** One-off decode of a snapshot (compiles the schema each call; keep a {@link SnapshotCodec} instead). */
export function decodeSnapshot(payload: unknown, ctx: SnapshotContext): Snapshot {
  return new SnapshotCodec(ctx).decode(payload);
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

/** Input field values by name, as a game gives them. */
export type InputFields = Readonly<Record<string, InputValue | undefined>>;

/**
 * Builds the `input` argument `[seq, dx, dy, buttons, ...fields]`, the fields in `schema.input`
 * order (a missing one takes its default).
 *
 * The direction is rounded to 32-bit floats here, because the server stores it as `f32`: the value
 * the client predicts with is then exactly the value the server moves with. A vector longer than 1
 * is left as is (the server clamps it; so does the prediction).
 *
 * @throws RangeError on a non-finite direction, an out-of-range seq/buttons or a field of the wrong
 *   type (a client bug)
 */
export function encodeInput(
  seq: number,
  dx: number,
  dy: number,
  buttons: number,
  fields: InputFields = {},
  schema: readonly FieldDoc[] = [],
): InputMsg {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff_ffff) throw new RangeError(`seq out of range: ${seq}`);
  if (!Number.isInteger(buttons) || buttons < 0 || buttons > 0xffff_ffff) throw new RangeError(`buttons out of range: ${buttons}`);
  const fx = Math.fround(dx);
  const fy = Math.fround(dy);
  if (!Number.isFinite(fx) || !Number.isFinite(fy)) throw new RangeError(`non-finite direction: ${dx}, ${dy}`);
  // `+ 0` turns -0 into 0, which MessagePack encoders write as the integer 0 (one byte).
  const extra = schema.map((doc) => encodeInputField(doc, fields[doc.name]));
  return [seq, fx + 0, fy + 0, buttons, ...extra];
}

/** Largest lobby accepted from `GET /rooms` (a guard; the server caps its rooms far lower). */
export const MAX_ROOMS_LISTED = 1000;

/**
 * Decodes the JSON body of `GET /rooms` (`{ game, rooms: [{ id, players, capacity, tick_rate,
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

/** A `connect_error` message split into its code (up to the first `:`) and the detail for people. */
export interface ParsedRefusal {
  readonly code: string;
  readonly detail: string;
}

/** Splits `"protocol_mismatch: this server speaks …"` into code and detail. */
export function parseRefusal(message: string): ParsedRefusal {
  const i = message.indexOf(":");
  if (i < 0) return { code: message.trim(), detail: "" };
  return { code: message.slice(0, i).trim(), detail: message.slice(i + 1).trim() };
}

/**
 * Differences between the schema a game was built for and the one the server sent (empty: they
 * match). Kinds, fields (name, type, bits and parameters), input and private fields must be the
 * same; the server may declare more events or messages than the game handles.
 */
export function schemaDifferences(expected: SchemaDoc, actual: SchemaDoc): string[] {
  const out: string[] = [];
  const sameFields = (a: readonly FieldDoc[], b: readonly FieldDoc[], where: string) => {
    const key = (f: FieldDoc) => `${f.name}:${f.type}:${f.bits}:${f.min ?? ""}:${f.max ?? ""}:${f.steps ?? ""}`;
    const ka = a.map(key).join(",");
    const kb = b.map(key).join(",");
    if (ka !== kb) out.push(`${where}: expected [${ka}], server has [${kb}]`);
  };
  for (const k of expected.kinds) {
    const s = actual.kinds.find((x) => x.id === k.id);
    if (!s) out.push(`kind ${k.id} (${k.name}) is missing`);
    else {
      if (s.name !== k.name) out.push(`kind ${k.id}: expected ${k.name}, server has ${s.name}`);
      sameFields(k.fields, s.fields, `kind ${k.name}`);
    }
  }
  sameFields(expected.input, actual.input, "input");
  sameFields(expected.private, actual.private, "private");
  for (const m of expected.messages) {
    if (!actual.messages.some((x) => x.name === m.name)) out.push(`message ${m.name} is missing`);
  }
  return out;
}
