import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fetchRooms, LobbyPoller, sortRooms } from "../src/lobby";
import type { RoomInfo } from "../src/protocol";

const room = (id: string, players: number): RoomInfo => ({ id, players, capacity: 16, tick_rate: 60, snapshot_rate: 30 });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("lobby", () => {
  it("fetches GET /rooms from the given origin and decodes it", async () => {
    const urls: string[] = [];
    const rooms = await fetchRooms("http://h:1", async (u) => {
      urls.push(u);
      return { ok: true, status: 200, json: async () => ({ rooms: [room("a", 2)] }) };
    });
    expect(urls).toEqual(["http://h:1/rooms"]);
    expect(rooms).toEqual([room("a", 2)]);
    await expect(fetchRooms("", async () => ({ ok: false, status: 503, json: async () => ({}) }))).rejects.toThrow("503");
  });

  it("lists the fullest rooms first, then by name", () => {
    expect(sortRooms([room("b", 1), room("a", 1), room("c", 5)]).map((r) => r.id)).toEqual(["c", "a", "b"]);
  });

  it("polls every few seconds until stopped and reports errors", async () => {
    const updates: (string[] | string)[] = [];
    let calls = 0;
    const poller = new LobbyPoller(
      (rooms, error) => updates.push(rooms ? rooms.map((r) => r.id) : String(error?.message)),
      3000,
      async () => {
        calls++;
        if (calls === 2) throw new Error("offline");
        return [room(`r${calls}`, 0)];
      },
    ).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(updates).toEqual([["r1"]]);
    await vi.advanceTimersByTimeAsync(3000);
    await vi.advanceTimersByTimeAsync(3000);
    expect(updates).toEqual([["r1"], "offline", ["r3"]]);
    poller.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
  });
});
