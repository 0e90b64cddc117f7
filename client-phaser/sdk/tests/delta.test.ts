import { decode, encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { decodeWelcome, ProtocolError, SnapshotCodec } from "../src/codec";
import { SnapshotReceiver } from "../src/delta";
import type { EntityState } from "../src/protocol";
import { fixtureBytes, fixtureJson } from "./fixtures";

const welcomeV2 = decodeWelcome(decode(fixtureBytes("welcome_v2")));
const ctx = { schema: welcomeV2.schema, world: welcomeV2.world };

interface DeltaJson {
  base: number;
  tick: number;
  ack: number;
  entities: EntityState[];
}

describe("delta snapshot fixture", () => {
  it("applies to the keyframe it names and gives the golden entities", () => {
    const rx = new SnapshotReceiver(new SnapshotCodec(ctx));
    expect(rx.receive(fixtureBytes("snapshot_v2")).tick).toBe(4242);
    const want = fixtureJson<DeltaJson>("snapshot_delta_v2");
    const got = rx.receive(fixtureBytes("snapshot_delta_v2"));
    expect(got.tick).toBe(want.tick);
    expect(got.ack).toBe(want.ack);
    expect(got.entities).toEqual(want.entities);
    expect(got.teleports).toEqual([]);
    expect(got.private).toBeNull();
  });

  it("refuses a delta whose baseline it does not hold, and a plain codec refuses deltas", () => {
    const rx = new SnapshotReceiver(new SnapshotCodec(ctx));
    expect(() => rx.receive(fixtureBytes("snapshot_delta_v2"))).toThrow(/not kept/);
    expect(() => new SnapshotCodec(ctx).decode(fixtureBytes("snapshot_delta_v2"))).toThrow(/SnapshotReceiver/);
    // The failed delta changed nothing: the keyframe then the delta still work.
    rx.receive(fixtureBytes("snapshot_v2"));
    expect(rx.receive(fixtureBytes("snapshot_delta_v2")).entities).toHaveLength(4);
  });

  it("throws only ProtocolError on damaged deltas", () => {
    const doc = decode(fixtureBytes("snapshot_delta_v2")) as unknown[];
    const changes = doc[2] as Uint8Array;
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const bad = Uint8Array.from(changes);
      const cut = rnd(3) === 0 ? rnd(bad.length + 1) : bad.length;
      bad[rnd(bad.length)]! ^= 1 << rnd(8);
      const rx = new SnapshotReceiver(new SnapshotCodec(ctx));
      rx.receive(fixtureBytes("snapshot_v2"));
      const payload = encode([doc[0], doc[1], bad.subarray(0, cut), null, null, null, doc[6]]);
      try {
        rx.receive(payload);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
