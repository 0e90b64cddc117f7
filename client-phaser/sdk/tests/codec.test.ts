import { decode, encode } from "@msgpack/msgpack";
// @ts-expect-error notepack.io ships no types; its browser decoder is what Vite bundles for the page
import browserDecode from "notepack.io/browser/decode.js";
import * as parser from "socket.io-msgpack-parser";
import { describe, expect, it } from "vitest";
import {
  asBytes,
  decodeBye,
  decodeJoined,
  decodeLeft,
  decodeRooms,
  decodeSnapshot,
  decodeWelcome,
  dequantize,
  encodeInput,
  MAX_SNAPSHOT_BYTES,
  parseRefusal,
  ProtocolError,
  schemaDifferences,
  SnapshotCodec,
} from "../src/codec";
import {
  isValidRoomName,
  nextSeq,
  PROTOCOL_VERSION,
  seqNewer,
  splitKind,
  type EntityState,
  type FieldDoc,
  type InputValue,
  type SchemaDoc,
  type Snapshot,
} from "../src/protocol";
import { fixtureBytes, fixtureJson } from "./fixtures";

interface SnapshotJson {
  tick: number;
  ack: number;
  entities: EntityState[];
  teleports?: { id: number; tick: number }[];
  private?: Record<string, unknown>;
  movement?: { max_speed: number; radius: number };
  schema?: SchemaDoc;
  world?: { width: number; height: number };
}

const welcomeV2 = decodeWelcome(decode(fixtureBytes("welcome_v2")));
const ctx = { schema: welcomeV2.schema, world: welcomeV2.world };

/** The golden snapshot JSON as a decoded `Snapshot` (absent elements: no teleports, null). */
function expectedSnapshot(name: string): Snapshot {
  const { schema: _s, world: _w, ...j } = fixtureJson<SnapshotJson>(name);
  return { tick: j.tick, ack: j.ack, entities: j.entities, teleports: j.teleports ?? [], private: (j.private as Snapshot["private"]) ?? null, movement: j.movement ?? null };
}

/** Wraps raw MessagePack argument bytes into a Socket.IO EVENT packet, as the server sends it. */
function eventPacket(event: string, argBytes: Uint8Array): Uint8Array {
  const head = encode({ type: 2, nsp: "/", data: [event, 0] });
  // `data` is the last field: replace the placeholder 0 (one byte, 0x00) with the raw argument.
  expect(head.at(-1)).toBe(0);
  const out = new Uint8Array(head.length - 1 + argBytes.length);
  out.set(head.subarray(0, head.length - 1));
  out.set(argBytes, head.length - 1);
  return out;
}

interface Packet {
  type: number;
  nsp: string;
  data: unknown[];
}

/** Runs bytes through socket.io-msgpack-parser's Decoder, the way socket.io-client in Node gets them. */
function parseLikeSocketIo(packet: Uint8Array): Packet {
  const decoder = new parser.Decoder();
  let got: unknown = null;
  decoder.on("decoded", (p: unknown) => (got = p));
  decoder.add(Buffer.from(packet)); // Node's engine hands the parser a Buffer
  return got as Packet;
}

/** The same with notepack's browser build (what Vite bundles), which gets an ArrayBuffer. */
function parseLikeBrowser(packet: Uint8Array): Packet {
  return browserDecode(packet.buffer.slice(packet.byteOffset, packet.byteOffset + packet.byteLength)) as Packet;
}

describe("welcome fixture", () => {
  it("decodes through the Socket.IO parser to the golden JSON", () => {
    const packet = parseLikeSocketIo(eventPacket("welcome", fixtureBytes("welcome_v2")));
    expect(packet.data[0]).toBe("welcome");
    const w = decodeWelcome(packet.data[1]);
    expect(w).toEqual(fixtureJson("welcome_v2"));
    const inBrowser = parseLikeBrowser(eventPacket("welcome", fixtureBytes("welcome_v2")));
    expect(decodeWelcome(inBrowser.data[1])).toEqual(fixtureJson("welcome_v2"));
  });

  it("decodes with @msgpack/msgpack to the golden JSON, schema included", () => {
    const w = decodeWelcome(decode(fixtureBytes("welcome_v2")));
    expect(w).toEqual(fixtureJson("welcome_v2"));
    expect(w.protocol).toBe(PROTOCOL_VERSION);
    expect(w.game).toBe("fixture_shooter");
    expect(w.schema.kinds.map((k) => [k.id, k.name, k.fields.length])).toEqual([
      [1, "ship", 4],
      [3, "star", 0],
      [5, "bullet", 3],
    ]);
    expect(w.schema.input.map((f) => f.name)).toEqual(["aim", "fire", "weapon", "view_tick"]);
    expect(w.schema.messages).toEqual([{ name: "chat", max_bytes: 256 }]);
    expect(w.schema.events).toEqual(["chat", "kill"]);
  });

  it("keeps f32 values exact (dt is the f32 nearest 1/60)", () => {
    expect(welcomeV2.movement.dt).toBe(Math.fround(1 / 60));
    expect(welcomeV2.world.walls).toEqual([[100, 200, 300, 32]]);
  });

  it("ignores unknown fields and rejects missing or mistyped ones", () => {
    const base = decode(fixtureBytes("welcome_v2")) as Record<string, unknown>;
    expect(decodeWelcome({ ...base, future_field: { a: 1 } }).id).toBe(5);
    for (const key of ["protocol", "game", "id", "room", "token", "tick_rate", "snapshot_rate", "tick", "world", "movement", "schema", "players"]) {
      const broken = { ...base };
      delete broken[key];
      expect(() => decodeWelcome(broken), key).toThrow(ProtocolError);
    }
    expect(() => decodeWelcome({ ...base, id: 70000 })).toThrow(ProtocolError);
    expect(() => decodeWelcome({ ...base, tick_rate: 0 })).toThrow(ProtocolError);
    expect(() => decodeWelcome({ ...base, world: { width: 10, height: 10, walls: [[1, 2, 3]] } })).toThrow(ProtocolError);
    expect(() => decodeWelcome({ ...base, world: { width: Number.NaN, height: 10, walls: [] } })).toThrow(ProtocolError);
    expect(() => decodeWelcome([1, 2])).toThrow(ProtocolError);
    expect(() => decodeWelcome(null)).toThrow(ProtocolError);
  });

  it("refuses schemas whose fields break PROTOCOL.md's rules (the records would be misread)", () => {
    const base = decode(fixtureBytes("welcome_v2")) as Record<string, unknown>;
    const kind = (fields: unknown[]) => ({ ...base, schema: { kinds: [{ id: 1, name: "k", fields }], input: [], private: [], messages: [], events: [] } });
    const bad = [
      { name: "a", type: "angle", bits: 17 },
      { name: "u", type: "uint", bits: 3, max: 100 },
      { name: "i", type: "int", bits: 2, min: 2, max: 1 },
      { name: "f", type: "flag", bits: 2 },
      { name: "x", type: "fixed", bits: 7, min: 0, max: 1 },
      { name: "v", type: "velocity", bits: 1, max: 10 },
      { name: "w", type: "wobble", bits: 1 },
    ];
    for (const f of bad) expect(() => decodeWelcome(kind([f])), JSON.stringify(f)).toThrow(ProtocolError);
    expect(() => decodeWelcome(kind([{ name: "a", type: "flag", bits: 1 }, { name: "a", type: "flag", bits: 1 }]))).toThrow(ProtocolError);
    expect(decodeWelcome(kind([{ name: "a", type: "flag", bits: 1 }])).schema.kinds[0]!.fields).toHaveLength(1);
  });
});

describe("snapshot fixture", () => {
  const expected = expectedSnapshot("snapshot_v2");

  it("decodes from the welcome's schema alone to the golden JSON, bit-exact with the server's f32", () => {
    expect(new SnapshotCodec(ctx).decode(fixtureBytes("snapshot_v2"))).toEqual(expected);
    expect(fixtureJson<SnapshotJson>("snapshot_v2").schema).toEqual(welcomeV2.schema);
  });

  it("decodes the empty snapshot (three elements)", () => {
    expect(decodeSnapshot(fixtureBytes("snapshot_v2_empty"), ctx)).toEqual(expectedSnapshot("snapshot_v2_empty"));
  });

  it("decodes the bin the Socket.IO parser hands over (Buffer in Node, ArrayBuffer in browsers)", () => {
    const bin = encode(fixtureBytes("snapshot_v2")); // the event argument is a MessagePack bin
    const packet = parseLikeSocketIo(eventPacket("snapshot", bin));
    expect(packet.data[0]).toBe("snapshot");
    expect(decodeSnapshot(packet.data[1], ctx)).toEqual(expected);
    const inBrowser = parseLikeBrowser(eventPacket("snapshot", bin));
    expect(inBrowser.data[1]).toBeInstanceOf(ArrayBuffer);
    expect(decodeSnapshot(inBrowser.data[1], ctx)).toEqual(expected);
  });

  it("accepts Buffer, ArrayBuffer and offset views alike", () => {
    const bytes = fixtureBytes("snapshot_v2");
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 3);
    const view = padded.subarray(3, 3 + bytes.length);
    expect(decodeSnapshot(view, ctx)).toEqual(expected);
    expect(decodeSnapshot(Buffer.from(bytes), ctx)).toEqual(expected);
    expect(decodeSnapshot(bytes.slice().buffer, ctx)).toEqual(expected);
    expect(asBytes(new DataView(padded.buffer, 3, 2)).length).toBe(2);
  });

  it("re-encodes to the golden bytes", () => {
    expect([...new SnapshotCodec(ctx).encode(expected)]).toEqual([...fixtureBytes("snapshot_v2")]);
    expect([...new SnapshotCodec(ctx).encode(expectedSnapshot("snapshot_v2_empty"))]).toEqual([...fixtureBytes("snapshot_v2_empty")]);
  });

  it("rejects unknown kinds, truncated records, wrong shapes and non-MessagePack", () => {
    const codec = new SnapshotCodec(ctx);
    const star = [0x2c, 0x01, 3, 0, 0x80, 0, 0x80];
    expect(codec.decode(encode([1, 0, new Uint8Array(star)])).entities).toHaveLength(1);
    expect(() => codec.decode(encode([1, 0, new Uint8Array([...star.slice(0, 2), 2, ...star.slice(3)])]))).toThrow(/kind 2/);
    expect(() => codec.decode(encode([1, 0, new Uint8Array(star.slice(0, 5))]))).toThrow(/truncated/);
    expect(() => codec.decode(encode([1, 0, new Uint8Array([1, 0, 1, 0, 0, 0, 0, 1, 2])]))).toThrow(/needs 12 bytes/);
    expect(() => codec.decode(encode([1, 0, new Uint8Array(0), new Uint8Array(5)]))).toThrow(/teleports/);
    expect(() => codec.decode(encode([1, 0, new Uint8Array(0), null, new Uint8Array(1)]))).toThrow(/private/);
    expect(() => codec.decode(encode([1, 0, new Uint8Array(0), null, null, [1]]))).toThrow(/movement/);
    expect(() => codec.decode(encode([1, 0, new Uint8Array(0), null, null, null, 7]))).toThrow(ProtocolError);
    expect(() => codec.decode(encode([1, 0]))).toThrow(ProtocolError);
    expect(() => codec.decode(encode([1, -1, new Uint8Array(0)]))).toThrow(ProtocolError);
    expect(() => codec.decode(encode({ tick: 1 }))).toThrow(ProtocolError);
    expect(() => codec.decode(new Uint8Array([0xc1]))).toThrow(ProtocolError);
    expect(() => codec.decode("nope")).toThrow(ProtocolError);
    expect(() => codec.decode(new Uint8Array(MAX_SNAPSHOT_BYTES + 1))).toThrow(ProtocolError);
  });

  it("takes nil for each optional element", () => {
    const s = decodeSnapshot(encode([3, 2, new Uint8Array(0), null, null, null]), ctx);
    expect(s).toEqual({ tick: 3, ack: 2, entities: [], teleports: [], private: null, movement: null });
  });

  it("decodes the extreme coordinates", () => {
    const rec = new Uint8Array([0xff, 0xff, 3, 0xff, 0xff, 0, 0]);
    const s = decodeSnapshot(encode([0xffffffff, 0, rec]), ctx);
    expect(s.tick).toBe(0xffffffff);
    expect(s.entities).toEqual([{ id: 65535, kind: 3, away: false, qx: 65535, qy: 0, x: 1600, y: 0, fields: {} }]);
  });

  it("splits bit 7 of kind off as the away flag", () => {
    const rec = new Uint8Array([
      ...[1, 0, 0x83, 0, 0, 0, 0], // star, away
      ...[2, 0, 0x03, 0, 0, 0, 0], // star, here
    ]);
    const s = decodeSnapshot(encode([7, 0, rec]), ctx);
    expect(s.entities.map((e) => [e.id, e.kind, e.away])).toEqual([
      [1, 3, true],
      [2, 3, false],
    ]);
    expect(splitKind(0x83)).toEqual({ kind: 3, away: true });
    expect(splitKind(0x03)).toEqual({ kind: 3, away: false });
  });

  it("dequantizes like f32 q / 65535 * size", () => {
    expect(dequantize(4096, 1600)).toBe(100.00152587890625);
    expect(dequantize(65535, 1200)).toBe(1200);
    expect(dequantize(0, 1200)).toBe(0);
  });
});

describe("input fixture", () => {
  const json = fixtureJson<{ input: InputValue[]; schema: FieldDoc[] }>("input_v2");
  const fields = { aim: 1.25, fire: true, weapon: 2, view_tick: 4100 };

  it("the golden bytes decode to the golden JSON, and its schema is the welcome's input", () => {
    expect(decode(fixtureBytes("input_v2"))).toEqual(json.input);
    expect(json.schema).toEqual(welcomeV2.schema.input);
  });

  it("encodeInput gives the same values (f32 numbers like the server stores them), and the same bytes", () => {
    const msg = encodeInput(12, 0.6, -0.8, 1, fields, welcomeV2.schema.input);
    expect(msg).toEqual(json.input);
    expect([...encode(msg, { forceFloat32: true })]).toEqual([...fixtureBytes("input_v2")]);
  });

  it("survives the Socket.IO MessagePack encoder unchanged", () => {
    const msg = encodeInput(12, 0.6, -0.8, 1, fields, welcomeV2.schema.input);
    const [bytes] = new parser.Encoder().encode({ type: 2, nsp: "/", data: ["input", msg] }) as unknown as [Uint8Array];
    const packet = decode(bytes) as { data: unknown[] };
    expect(packet.data).toEqual(["input", json.input]);
  });

  it("fills in missing fields with their defaults and clamps into range", () => {
    const schema = welcomeV2.schema.input;
    expect(encodeInput(1, 0, 0, 0, {}, schema)).toEqual([1, 0, 0, 0, 0, false, 0, 0]);
    expect(encodeInput(1, 0, 0, 0, { weapon: 9, view_tick: -4 }, schema)).toEqual([1, 0, 0, 0, 0, false, 3, 0]);
    expect(encodeInput(1, 0, 0, 0, { weapon: 1.6, fire: 1 }, schema)).toEqual([1, 0, 0, 0, 0, true, 2, 0]);
    expect(encodeInput(7, 1, 0, 0)).toEqual([7, 1, 0, 0]);
  });

  it("rejects what the server would reject", () => {
    const schema = welcomeV2.schema.input;
    expect(() => encodeInput(-1, 0, 0, 0)).toThrow(RangeError);
    expect(() => encodeInput(1.5, 0, 0, 0)).toThrow(RangeError);
    expect(() => encodeInput(1, Number.NaN, 0, 0)).toThrow(RangeError);
    expect(() => encodeInput(1, 0, Number.POSITIVE_INFINITY, 0)).toThrow(RangeError);
    expect(() => encodeInput(1, 1e39, 0, 0)).toThrow(RangeError); // overflows f32
    expect(() => encodeInput(1, 0, 0, -1)).toThrow(RangeError);
    expect(() => encodeInput(1, 0, 0, 0, { aim: Number.NaN }, schema)).toThrow(RangeError);
    expect(() => encodeInput(1, 0, 0, 0, { fire: 2 }, schema)).toThrow(RangeError);
    expect(() => encodeInput(1, 0, 0, 0, { weapon: true }, schema)).toThrow(RangeError);
    expect(Object.is(encodeInput(1, -0, -0, 0)[1], 0)).toBe(true);
  });
});

describe("refusals", () => {
  it("the code is the part before the first colon", () => {
    expect(parseRefusal("protocol_mismatch: this server speaks protocol 2; the client stated none")).toEqual({
      code: "protocol_mismatch",
      detail: "this server speaks protocol 2; the client stated none",
    });
    expect(parseRefusal("room_full")).toEqual({ code: "room_full", detail: "" });
    expect(parseRefusal("forbidden: a: b")).toEqual({ code: "forbidden", detail: "a: b" });
  });
});

describe("schema compatibility", () => {
  it("reports kinds and fields that differ, and accepts extra events", () => {
    expect(schemaDifferences(welcomeV2.schema, welcomeV2.schema)).toEqual([]);
    expect(schemaDifferences(welcomeV2.schema, { ...welcomeV2.schema, events: [...welcomeV2.schema.events, "new"] })).toEqual([]);
    const fewer = { ...welcomeV2.schema, kinds: welcomeV2.schema.kinds.slice(1) };
    expect(schemaDifferences(welcomeV2.schema, fewer)).toEqual(["kind 1 (ship) is missing"]);
    const other = { ...welcomeV2.schema, input: welcomeV2.schema.input.slice(0, 2) };
    expect(schemaDifferences(welcomeV2.schema, other)).toHaveLength(1);
  });
});

describe("small events", () => {
  it("decode and validate", () => {
    expect(decodeJoined({ id: 3, name: "Ada" })).toEqual({ id: 3, name: "Ada" });
    expect(decodeLeft({ id: 3, reason: "timeout" })).toEqual({ id: 3, reason: "timeout" });
    expect(decodeBye({ reason: "shutdown", message: "bye" })).toEqual({ reason: "shutdown", message: "bye" });
    expect(decodeBye({ reason: "kicked" })).toEqual({ reason: "kicked", message: "" });
    expect(() => decodeJoined({ id: "3", name: "Ada" })).toThrow(ProtocolError);
    expect(() => decodeLeft({ id: 3 })).toThrow(ProtocolError);
    expect(() => decodeBye("shutdown")).toThrow(ProtocolError);
  });
});

describe("seq arithmetic", () => {
  it("is wrap-aware like the server", () => {
    expect(seqNewer(2, 1)).toBe(true);
    expect(seqNewer(1, 1)).toBe(false);
    expect(seqNewer(1, 2)).toBe(false);
    expect(seqNewer(0, 0xffffffff)).toBe(true);
    expect(seqNewer(5, 0xfffffff0)).toBe(true);
    expect(seqNewer(0x80000000, 0)).toBe(false);
    expect(seqNewer(0x7fffffff, 0)).toBe(true);
    expect(nextSeq(0xffffffff)).toBe(0);
    expect(nextSeq(41)).toBe(42);
  });
});

describe("GET /rooms", () => {
  it("decodes the lobby and ignores unknown fields", () => {
    const body = {
      rooms: [
        { id: "main", players: 3, capacity: 16, tick_rate: 60, snapshot_rate: 30, extra: true },
        { id: "a", players: 0, capacity: 16, tick_rate: 60, snapshot_rate: 30 },
      ],
    };
    expect(decodeRooms(body)).toEqual([
      { id: "main", players: 3, capacity: 16, tick_rate: 60, snapshot_rate: 30 },
      { id: "a", players: 0, capacity: 16, tick_rate: 60, snapshot_rate: 30 },
    ]);
    expect(decodeRooms({ rooms: [] })).toEqual([]);
  });

  it("rejects other shapes", () => {
    expect(() => decodeRooms([])).toThrow(ProtocolError);
    expect(() => decodeRooms({})).toThrow(ProtocolError);
    expect(() => decodeRooms({ rooms: [{ id: 1, players: 0, capacity: 1, tick_rate: 60, snapshot_rate: 30 }] })).toThrow(ProtocolError);
    expect(() => decodeRooms({ rooms: [{ id: "x", players: -1, capacity: 1, tick_rate: 60, snapshot_rate: 30 }] })).toThrow(ProtocolError);
  });

  it("room names: 1-32 of A-Z a-z 0-9 _ -", () => {
    for (const ok of ["a", "main-2", "Room_7", "x".repeat(32)]) expect(isValidRoomName(ok)).toBe(true);
    for (const bad of ["", "no spaces", "é", "x".repeat(33), "a/b"]) expect(isValidRoomName(bad)).toBe(false);
  });
});
