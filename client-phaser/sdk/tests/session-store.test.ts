import { describe, expect, it } from "vitest";
import { SessionStore, type StorageLike } from "../src/session-store";
import type { InputMsg } from "../src/protocol";
import { GameSession } from "../src/session";
import { entity, snapshot, welcome } from "./world";

function memory(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe("SessionStore", () => {
  it("keeps the token for its room (and for matchmaking), not for another room", () => {
    const store = new SessionStore(memory());
    expect(store.tokenFor(undefined)).toBeUndefined();
    store.save("t1", "a");
    expect(store.tokenFor("a")).toBe("t1");
    expect(store.tokenFor(undefined)).toBe("t1");
    expect(store.tokenFor("b")).toBeUndefined();
    store.clear();
    expect(store.load()).toBeNull();
  });

  it("survives a broken or missing storage", () => {
    const bad = memory();
    bad.data.set("tickstate.session", "{not json");
    expect(new SessionStore(bad).load()).toBeNull();
    const none = new SessionStore(null);
    none.save("t", "a");
    expect(none.tokenFor("a")).toBeUndefined();
    const throwing = new SessionStore({
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    });
    expect(() => throwing.save("t", "a")).not.toThrow();
    expect(throwing.load()).toBeNull();
  });
});

describe("a session resumed by a reloaded page", () => {
  it("waits for the first snapshot, then numbers on from its ack", () => {
    const sent: InputMsg[] = [];
    const s = new GameSession(welcome, (m) => sent.push(m), { resumed: true, stallMs: Infinity });
    expect(s.inputPause(0)).toBe("resuming");
    expect(s.tick(0, () => ({ dx: 1, dy: 0, buttons: 0 }))).toBe(0);
    s.onSnapshot(snapshot(5000, 4321, [entity(5, 1, 800, 600)]), 10);
    expect(sent).toEqual([]); // nothing of its own to send again
    s.tick(20, () => ({ dx: 1, dy: 0, buttons: 0 }));
    expect(sent.map((m) => m[0])).toEqual([4322]);
  });
});
