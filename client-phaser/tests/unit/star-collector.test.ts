import { decode } from "@msgpack/msgpack";
import { ProtocolError, schemaDifferences, SnapshotCodec, decodeSchema, type Welcome } from "tickstate-sdk";
import { describe, expect, it } from "vitest";
import { decodeScores, GAME, isShip, isStar, Kinds, SCHEMA, STATIC_KINDS, teamOf } from "../../src/games/star-collector";
import { teamName, teamText, Colors } from "../../src/game/theme";

describe("Star Collector", () => {
  it("its generated schema is one the SDK accepts, with three field-less kinds and the scores event", () => {
    expect(GAME).toBe("star_collector");
    expect(decodeSchema(SCHEMA)).toEqual(SCHEMA);
    expect(SCHEMA.kinds.map((k) => [k.id, k.name])).toEqual([
      [Kinds.red_ship, "red_ship"],
      [Kinds.blue_ship, "blue_ship"],
      [Kinds.star, "star"],
    ]);
    expect(SCHEMA.events).toEqual(["scores"]);
    expect(schemaDifferences(SCHEMA, SCHEMA)).toEqual([]);
  });

  it("teams and kinds", () => {
    expect(teamOf(Kinds.red_ship)).toBe("red");
    expect(teamOf(Kinds.blue_ship)).toBe("blue");
    expect(teamOf(Kinds.star)).toBeNull();
    expect(teamOf(null)).toBeNull();
    expect(isShip(Kinds.blue_ship) && !isShip(Kinds.star)).toBe(true);
    expect(isStar(Kinds.star) && !isStar(Kinds.red_ship)).toBe(true);
    expect(STATIC_KINDS).toEqual([Kinds.star]);
    expect(teamName(Kinds.red_ship)).toBe("red");
    expect(teamText(Kinds.blue_ship)).toBe(Colors.blueText);
  });

  it("decodes scores and refuses other shapes", () => {
    expect(decodeScores({ red: 2, blue: 7 })).toEqual({ red: 2, blue: 7 });
    expect(decodeScores({ red: 0, blue: 0, extra: "x" })).toEqual({ red: 0, blue: 0 });
    for (const bad of [{ red: -1, blue: 0 }, { red: 1 }, [1, 2], null, "3:1", { red: 1.5, blue: 0 }]) {
      expect(() => decodeScores(bad), JSON.stringify(bad)).toThrow(ProtocolError);
    }
  });

  it("a Star Collector snapshot (as the v2 server sends it) decodes with the generated schema", () => {
    // Captured from the v2 server: [tick 770, ack 0, two stars and a red ship].
    const bytes = Uint8Array.from([0x93, 0xcd, 0x03, 0x02, 0x00, 0xc4, 0x15, 1, 0, 3, 0xb5, 0x31, 0x0c, 0x3a, 2, 0, 3, 0x25, 0x67, 0x83, 0x8b, 7, 0, 1, 0x32, 0x2a, 0, 0xb4]);
    const world: Welcome["world"] = { width: 1600, height: 900, walls: [] };
    const snap = new SnapshotCodec({ schema: SCHEMA, world }).decode(bytes);
    expect(snap.tick).toBe(770);
    expect(snap.entities.map((e) => [e.id, e.kind])).toEqual([
      [1, Kinds.star],
      [2, Kinds.star],
      [7, Kinds.red_ship],
    ]);
    expect(decode(bytes)).toHaveLength(3);
  });
});

describe("net graph", () => {
  it("shows ping, jitter, delay, snapshot rate and extrapolation", async () => {
    const { netGraphLines, NET_GRAPH_KEYS } = await import("../../src/game/net-graph");
    const lines = netGraphLines({
      rttMs: 48.4,
      jitterMs: 12.6,
      delayMs: 85.5,
      bufferMs: 20.2,
      snapshotRate: 30,
      stale: 1,
      extrapolationFraction: 0.05,
      extrapolatedFrames: 3,
      frames: 60,
      corrections: 2,
      snaps: 0,
      pendingInputs: 4,
      prediction: { smoothed: 1, snapped: 0, lastError: 2, offset: 0 },
    });
    const text = lines.join("\n");
    for (const part of ["ping        48 ms", "jitter      13 ms", "interp      86 ms", "30/s", "5% of frames (3 of 60)"]) {
      expect(text).toContain(part);
    }
    expect(netGraphLines({ rttMs: null, jitterMs: 0, delayMs: 67, bufferMs: null, snapshotRate: 0, stale: 0, extrapolationFraction: 0, extrapolatedFrames: 0, frames: 0, corrections: 0, snaps: 0, pendingInputs: 0, prediction: { smoothed: 0, snapped: 0, lastError: 0, offset: 0 } })[0]).toBe("ping        –");
    expect(NET_GRAPH_KEYS).toContain("N");
  });
});
