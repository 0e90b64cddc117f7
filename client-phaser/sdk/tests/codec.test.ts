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
  decodeScores,
  decodeSnapshot,
  decodeWelcome,
  dequantize,
  decodeRooms,
  encodeInput,
  ProtocolError,
} from "../../src/net/codec";
import { isValidRoomName, nextSeq, seqNewer, splitKind } from "../../src/net/protocol";
import { fixtureBytes, fixtureJson } from "./fixtures";

interface SnapshotJson {
  tick: number;
  ack: number;
  entities: { id: number; kind: number; qx: number; qy: number; x: number; y: number }[];
  world: { width: number; height: number };
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
    const packet = parseLikeSocketIo(eventPacket("welcome", fixtureBytes("welcome_v1")));
    expect(packet.data[0]).toBe("welcome");
    const w = decodeWelcome(packet.data[1]);
    expect(w).toEqual(fixtureJson("welcome_v1"));
    const inBrowser = parseLikeBrowser(eventPacket("welcome", fixtureBytes("welcome_v1")));
    expect(decodeWelcome(inBrowser.data[1])).toEqual(fixtureJson("welcome_v1"));
  });

  it("decodes with @msgpack/msgpack to the golden JSON", () => {
    expect(decodeWelcome(decode(fixtureBytes("welcome_v1")))).toEqual(fixtureJson("welcome_v1"));
  });

  it("keeps f32 values exact (dt is the f32 nearest 1/60)", () => {
    const w = decodeWelcome(decode(fixtureBytes("welcome_v1")));
    expect(w.movement.dt).toBe(Math.fround(1 / 60));
    expect(w.world.walls).toEqual([[100, 200, 300, 32]]);
  });

  it("ignores unknown fields and rejects missing or mistyped ones", () => {
    const base = decode(fixtureBytes("welcome_v1")) as Record<string, unknown>;
    expect(decodeWelcome({ ...base, future_field: { a: 1 } }).id).toBe(5);
    for (const key of ["protocol", "id", "room", "token", "tick_rate", "snapshot_rate", "tick", "world", "movement", "players"]) {
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
});

describe("snapshot fixture", () => {
  const json = fixtureJson<SnapshotJson>("snapshot_v1");
  const { world, ...golden } = json;
  // The golden JSON has the record's kind byte; the decoder splits it into kind and the away bit.
  const expected = {
    ...golden,
    entities: golden.entities.map((e) => ({ ...e, kind: e.kind & 0x7f, away: (e.kind & 0x80) !== 0 })),
  };

  it("decodes to the golden JSON, positions bit-exact with the server's f32 dequantization", () => {
    expect(decodeSnapshot(fixtureBytes("snapshot_v1"), world)).toEqual(expected);
  });

  it("decodes the bin the Socket.IO parser hands over (Buffer in Node, ArrayBuffer in browsers)", () => {
    const bin = encode(fixtureBytes("snapshot_v1")); // the event argument is a MessagePack bin
    const packet = parseLikeSocketIo(eventPacket("snapshot", bin));
    expect(packet.data[0]).toBe("snapshot");
    expect(decodeSnapshot(packet.data[1], world)).toEqual(expected);
    const inBrowser = parseLikeBrowser(eventPacket("snapshot", bin));
    expect(inBrowser.data[1]).toBeInstanceOf(ArrayBuffer);
    expect(decodeSnapshot(inBrowser.data[1], world)).toEqual(expected);
  });

  it("accepts Buffer, ArrayBuffer and offset views alike", () => {
    const bytes = fixtureBytes("snapshot_v1");
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 3);
    const view = padded.subarray(3, 3 + bytes.length);
    expect(decodeSnapshot(view, world)).toEqual(expected);
    expect(decodeSnapshot(Buffer.from(bytes), world)).toEqual(expected);
    expect(decodeSnapshot(bytes.slice().buffer, world)).toEqual(expected);
    expect(asBytes(new DataView(padded.buffer, 3, 2)).length).toBe(2);
  });

  it("rejects records that are not 7 bytes each, wrong shapes and non-MessagePack", () => {
    expect(() => decodeSnapshot(encode([1, 0, new Uint8Array(8)]), world)).toThrow(ProtocolError);
    expect(() => decodeSnapshot(encode([1, 0]), world)).toThrow(ProtocolError);
    expect(() => decodeSnapshot(encode([1, -1, new Uint8Array(0)]), world)).toThrow(ProtocolError);
    expect(() => decodeSnapshot(encode({ tick: 1 }), world)).toThrow(ProtocolError);
    expect(() => decodeSnapshot(new Uint8Array([0xc1]), world)).toThrow(ProtocolError);
    expect(() => decodeSnapshot("nope", world)).toThrow(ProtocolError);
    expect(() => decodeSnapshot(new Uint8Array(70000), world)).toThrow(ProtocolError);
  });

  it("decodes an empty world and the extreme coordinates", () => {
    const rec = new Uint8Array([0xff, 0xff, 9, 0xff, 0xff, 0, 0]);
    const s = decodeSnapshot(encode([0xffffffff, 0, rec]), world);
    expect(s.tick).toBe(0xffffffff);
    expect(s.entities).toEqual([{ id: 65535, kind: 9, away: false, qx: 65535, qy: 0, x: 1600, y: 0 }]);
    expect(decodeSnapshot(encode([1, 0, new Uint8Array(0)]), world).entities).toEqual([]);
  });

  it("splits bit 7 of kind off as the away flag", () => {
    const rec = new Uint8Array([
      ...[1, 0, 0x81, 0, 0, 0, 0], // red ship, away
      ...[2, 0, 0x02, 0, 0, 0, 0], // blue ship, here
      ...[3, 0, 0xff, 0, 0, 0, 0], // kind 127, away
      ...[4, 0, 0x80, 0, 0, 0, 0], // kind 0, away
    ]);
    const s = decodeSnapshot(encode([7, 0, rec]), world);
    expect(s.entities.map((e) => [e.id, e.kind, e.away])).toEqual([
      [1, 1, true],
      [2, 2, false],
      [3, 127, true],
      [4, 0, true],
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
  const json = fixtureJson<number[]>("input_v1");

  it("the golden bytes decode to the golden JSON", () => {
    expect(decode(fixtureBytes("input_v1"))).toEqual(json);
  });

  it("encodeInput gives the same values (directions rounded to f32 like the server stores them)", () => {
    expect(encodeInput(12, 0.6, -0.8, 1)).toEqual(json);
  });

  it("survives the Socket.IO MessagePack encoder unchanged", () => {
    const [bytes] = new parser.Encoder().encode({ type: 2, nsp: "/", data: ["input", encodeInput(12, 0.6, -0.8, 1)] }) as unknown as [Uint8Array];
    const packet = decode(bytes) as { data: unknown[] };
    expect(packet.data).toEqual(["input", json]);
  });

  it("rejects what the server would reject", () => {
    expect(() => encodeInput(-1, 0, 0, 0)).toThrow(RangeError);
    expect(() => encodeInput(1.5, 0, 0, 0)).toThrow(RangeError);
    expect(() => encodeInput(1, Number.NaN, 0, 0)).toThrow(RangeError);
    expect(() => encodeInput(1, 0, Number.POSITIVE_INFINITY, 0)).toThrow(RangeError);
    expect(() => encodeInput(1, 1e39, 0, 0)).toThrow(RangeError); // overflows f32
    expect(() => encodeInput(1, 0, 0, -1)).toThrow(RangeError);
    expect(Object.is(encodeInput(1, -0, -0, 0)[1], 0)).toBe(true);
  });
});

describe("small events", () => {
  it("decode and validate", () => {
    expect(decodeJoined({ id: 3, name: "Ada" })).toEqual({ id: 3, name: "Ada" });
    expect(decodeLeft({ id: 3, reason: "timeout" })).toEqual({ id: 3, reason: "timeout" });
    expect(decodeBye({ reason: "shutdown", message: "bye" })).toEqual({ reason: "shutdown", message: "bye" });
    expect(decodeBye({ reason: "kicked" })).toEqual({ reason: "kicked", message: "" });
    expect(decodeScores({ red: 2, blue: 7 })).toEqual({ red: 2, blue: 7 });
    expect(() => decodeJoined({ id: "3", name: "Ada" })).toThrow(ProtocolError);
    expect(() => decodeLeft({ id: 3 })).toThrow(ProtocolError);
    expect(() => decodeScores({ red: -1, blue: 0 })).toThrow(ProtocolError);
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
