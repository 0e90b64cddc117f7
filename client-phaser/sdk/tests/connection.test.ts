import { decode } from "@msgpack/msgpack";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Connection, type ConnectionStatus, type SocketLike } from "../src/connection";
import { fixtureBytes } from "./fixtures";

type Fn = (...args: never[]) => void;

/** A fake Socket.IO socket: records emits, lets the test fire server events. */
class FakeSocket implements SocketLike {
  connected = false;
  active = false;
  handlers = new Map<string, Fn[]>();
  managerHandlers = new Map<string, Fn[]>();
  emitted: unknown[][] = [];
  connects = 0;
  options: Record<string, unknown> = {};
  io = {
    on: (event: string, fn: Fn) => {
      this.managerHandlers.set(event, [...(this.managerHandlers.get(event) ?? []), fn]);
    },
  };
  on(event: string, fn: Fn) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
  }
  emit(event: string, ...args: unknown[]) {
    this.emitted.push([event, ...args]);
  }
  connect() {
    this.connects++;
    this.active = true;
  }
  disconnect() {
    this.active = false;
    this.connected = false;
  }
  fire(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }
  fireManager(event: string, ...args: unknown[]) {
    for (const fn of this.managerHandlers.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }
  /** The server accepts us and sends welcome. */
  accept() {
    this.connected = true;
    this.fire("connect");
    this.fire("welcome", decode(fixtureBytes("welcome_v2")));
  }
}

interface Events {
  chat: { text: string };
  kill: number;
}

function decodeChat(raw: unknown): Events["chat"] {
  if (typeof raw !== "object" || raw === null || typeof (raw as { text?: unknown }).text !== "string") throw new Error("expected { text }");
  return { text: (raw as { text: string }).text };
}

type Game = { entities: object; input: object; private: object; messages: { chat: { text: string }; nope: string }; events: Events };

function setup(options: { name?: string; room?: string; token?: string; credential?: string; options?: Record<string, string> } = {}) {
  let clock = 0;
  const sock = new FakeSocket();
  const conn = new Connection<Game>({
    ...options,
    events: { chat: decodeChat },
    url: "http://test",
    now: () => clock,
    socketFactory: (_url, o) => {
      sock.options = o as Record<string, unknown>;
      return sock;
    },
  });
  const statuses: ConnectionStatus[] = [];
  conn.on("status", (s) => statuses.push(s));
  return { sock, conn, statuses, advance: (ms: number) => (clock += ms) };
}

function authOf(sock: FakeSocket): unknown {
  let got: unknown;
  (sock.options.auth as (cb: (a: unknown) => void) => void)((a) => (got = a));
  return got;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Connection", () => {
  it("uses WebSocket only, the MessagePack parser and auth {protocol: 2, name, room, token, credential, options}", () => {
    const { sock } = setup({ name: "Ada", room: "r1", token: "t", credential: "jwt", options: { team: "blue" } });
    expect(sock.options.transports).toEqual(["websocket"]);
    expect((sock.options.parser as { protocol: number }).protocol).toBe(5);
    expect(authOf(sock)).toEqual({ protocol: 2, name: "Ada", room: "r1", token: "t", credential: "jwt", options: { team: "blue" } });
    const { sock: bare } = setup();
    expect(authOf(bare)).toEqual({ protocol: 2 });
  });

  it("the auth fixture's fields are what the client sends", () => {
    const { sock } = setup({ name: "Ada", room: "arena", credential: "header.payload.signature", options: { team: "blue", class: 2 } as never });
    expect(authOf(sock)).toEqual(decode(fixtureBytes("auth_v2")));
  });

  it("delivers the game's events decoded, with their tick; drops malformed ones and those without a decoder", () => {
    const { sock, conn } = setup();
    const got: unknown[] = [];
    const errors: string[] = [];
    conn.onEvent("chat", (data, tick) => got.push([data.text, tick]));
    conn.on("protocolError", (e) => errors.push(e.message));
    conn.connect();
    sock.accept();
    sock.fire("chat", { text: "gg" }, 4100);
    sock.fire("chat", { text: 5 }, 4101);
    sock.fire("chat", { text: "no tick" });
    sock.fire("kill", 3, 4102); // no decoder: not even listened to
    expect(got).toEqual([["gg", 4100]]);
    expect(errors).toHaveLength(2);
    expect(sock.handlers.has("kill")).toBe(false);
    // A resumed welcome names the same events: still one listener.
    sock.accept();
    sock.fire("chat", { text: "again" }, 4200);
    expect(got).toEqual([["gg", 4100], ["again", 4200]]);
    expect(conn.protocolErrors).toBe(2);
  });

  it("sends declared messages within max_bytes, refuses the rest without sending", () => {
    const { sock, conn } = setup();
    expect(conn.sendMessage("chat", { text: "early" })).toBe("not_connected");
    conn.connect();
    sock.accept();
    expect(conn.sendMessage("chat", { text: "gg" })).toBeNull();
    expect(conn.sendMessage("chat", { text: "x".repeat(300) })).toBe("too_large");
    expect(conn.sendMessage("nope", "x")).toBe("unknown");
    expect(sock.emitted.filter((e) => e[0] === "chat")).toEqual([["chat", { text: "gg" }]]);
  });

  it("is connected once welcome arrives, then sends the welcome token on reconnects", () => {
    const { sock, conn, statuses } = setup({ name: "Ada" });
    const welcomes: unknown[] = [];
    conn.on("welcome", (w) => welcomes.push(w));
    conn.connect();
    expect(conn.status.state).toBe("connecting");
    sock.accept();
    expect(conn.status).toEqual({ state: "connected", reason: null, attempt: 0 });
    expect(welcomes).toHaveLength(1);
    expect(conn.welcome!.id).toBe(5);
    expect(authOf(sock)).toEqual({ protocol: 2, name: "Ada", token: "00112233445566778899aabbccddeeff" });
    expect(statuses.map((s) => s.state)).toEqual(["connected"]); // "connecting" is the initial status
  });

  it("decodes snapshots with the welcome's world and drops those before it", () => {
    const { sock, conn, advance } = setup();
    const got: [number, number][] = [];
    conn.on("snapshot", (s, at) => got.push([s.tick, at]));
    conn.connect();
    sock.fire("snapshot", fixtureBytes("snapshot_v2"));
    expect(got).toEqual([]);
    sock.accept();
    advance(123);
    sock.fire("snapshot", fixtureBytes("snapshot_v2"));
    expect(got).toEqual([[4242, 123]]);
  });

  it("acknowledges snapshots and applies deltas when the welcome announces them", () => {
    const { sock, conn } = setup();
    const got: number[] = [];
    conn.on("snapshot", (s) => got.push(s.entities.length));
    conn.connect();
    sock.connected = true;
    sock.fire("connect");
    sock.fire("welcome", { ...(decode(fixtureBytes("welcome_v2")) as object), deltas: 32 });
    sock.fire("snapshot", fixtureBytes("snapshot_v2"));
    sock.fire("snapshot", fixtureBytes("snapshot_delta_v2"));
    expect(got).toEqual([4, 4]);
    expect(sock.emitted.filter((e) => e[0] === "snapshot_ack")).toEqual([
      ["snapshot_ack", 4242],
      ["snapshot_ack", 4244],
    ]);
  });

  it("sends no acks to a server without deltas", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.accept();
    sock.fire("snapshot", fixtureBytes("snapshot_v2"));
    expect(sock.emitted.some((e) => e[0] === "snapshot_ack")).toBe(false);
  });

  it("reports undecodable messages instead of throwing", () => {
    const { sock, conn } = setup();
    const errors: string[] = [];
    conn.on("protocolError", (e) => errors.push(e.message));
    conn.connect();
    sock.accept();
    sock.fire("snapshot", new Uint8Array([1, 2, 3]));
    sock.fire("joined", { id: "x" });
    sock.fire("left", { id: 1 });
    expect(errors).toHaveLength(3);
  });

  it("forwards joined, left and bye", () => {
    const { sock, conn } = setup();
    const log: unknown[] = [];
    conn.on("joined", (v) => log.push(["joined", v]));
    conn.on("left", (v) => log.push(["left", v]));
    conn.on("bye", (v) => log.push(["bye", v]));
    conn.connect();
    sock.accept();
    sock.fire("joined", { id: 2, name: "B" });
    sock.fire("left", { id: 2, reason: "timeout" });
    sock.fire("bye", { reason: "shutdown", message: "later" });
    expect(log).toEqual([
      ["joined", { id: 2, name: "B" }],
      ["left", { id: 2, reason: "timeout" }],
      ["bye", { reason: "shutdown", message: "later" }],
    ]);
  });

  it("sends inputs only while welcomed (no stale inputs buffered across a reconnect)", () => {
    const { sock, conn } = setup();
    conn.connect();
    expect(conn.sendInput([1, 0, 0, 0])).toBe(false);
    sock.accept();
    expect(conn.sendInput([1, 1, 0, 0])).toBe(true);
    expect(sock.emitted.filter((e) => e[0] === "input")).toEqual([["input", [1, 1, 0, 0]]]);
    sock.connected = false;
    sock.fire("disconnect", "transport close");
    expect(conn.sendInput([2, 1, 0, 0])).toBe(false);
  });

  it("measures RTT with acknowledged pings carrying the send time", () => {
    const { sock, conn, advance } = setup();
    const rtts: number[] = [];
    conn.on("rtt", (ms) => rtts.push(ms));
    conn.connect();
    advance(1000);
    sock.accept(); // the first ping goes out with the welcome
    const ping = sock.emitted.find((e) => e[0] === "ping")!;
    expect(ping[1]).toBe(1000);
    advance(42);
    (ping[2] as (v: unknown) => void)(1000);
    expect(rtts).toEqual([42]);
    expect(conn.rtt).toBe(42);
    (ping[2] as (v: unknown) => void)("garbage");
    expect(rtts).toEqual([42]);
    vi.advanceTimersByTime(1000);
    expect(sock.emitted.filter((e) => e[0] === "ping")).toHaveLength(2);
  });

  it("shows reconnecting while Socket.IO retries a dropped link, connected after the new welcome", () => {
    const { sock, conn, statuses } = setup();
    conn.connect();
    sock.accept();
    sock.connected = false;
    sock.fire("disconnect", "transport close");
    expect(conn.status).toEqual({ state: "reconnecting", reason: "transport close", attempt: 0 });
    expect(conn.welcome).toBeNull();
    sock.fireManager("reconnect_attempt", 1);
    expect(conn.status.attempt).toBe(1);
    sock.accept();
    expect(conn.status.state).toBe("connected");
    expect(statuses.map((s) => s.state)).toEqual(["connected", "reconnecting", "reconnecting", "connected"]);
  });

  it("after bye shutdown and a server-side close, retries by itself", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.accept();
    sock.fire("bye", { reason: "shutdown", message: "" });
    sock.active = false;
    sock.connected = false;
    sock.fire("disconnect", "io server disconnect");
    expect(conn.status.state).toBe("reconnecting");
    expect(conn.status.reason).toBe("shutdown");
    expect(sock.connects).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(sock.connects).toBe(2);
  });

  it("after bye kicked, stays disconnected with the reason", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.accept();
    sock.fire("bye", { reason: "kicked", message: "bye" });
    sock.connected = false;
    sock.fire("disconnect", "transport close");
    expect(conn.status).toEqual({ state: "disconnected", reason: "kicked", attempt: 0 });
    expect(sock.active).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(sock.connects).toBe(1);
  });

  it("a refused connection is final for invalid_room, retried with backoff for busy", () => {
    const refused = setup({ room: "bad room" });
    refused.conn.connect();
    refused.sock.active = false;
    refused.sock.fire("connect_error", new Error("invalid_room"));
    expect(refused.conn.status).toEqual({ state: "disconnected", reason: "invalid_room", attempt: 0 });

    const busy = setup();
    busy.conn.connect();
    busy.sock.active = false;
    busy.sock.fire("connect_error", new Error("busy"));
    expect(busy.conn.status).toEqual({ state: "reconnecting", reason: "busy", attempt: 1 });
    vi.advanceTimersByTime(1000);
    expect(busy.sock.connects).toBe(2);
    busy.sock.active = false;
    busy.sock.fire("connect_error", new Error("busy"));
    expect(busy.conn.status.attempt).toBe(2);
    vi.advanceTimersByTime(1999);
    expect(busy.sock.connects).toBe(2);
    vi.advanceTimersByTime(1);
    expect(busy.sock.connects).toBe(3);
  });

  it("protocol_mismatch: reads the code before the colon, keeps the detail, does not retry", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.active = false;
    sock.fire("connect_error", new Error("protocol_mismatch: this server speaks protocol 3; the client stated 2"));
    expect(conn.status).toEqual({ state: "disconnected", reason: "protocol_mismatch", attempt: 0 });
    expect(conn.lastRefusal).toBe("protocol_mismatch: this server speaks protocol 3; the client stated 2");
    vi.advanceTimersByTime(60_000);
    expect(sock.connects).toBe(1);
  });

  it("a transient refusal with a detail is still retried by its code", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.active = false;
    sock.fire("connect_error", new Error("shutting_down: the server is stopping"));
    expect(conn.status.state).toBe("reconnecting");
    expect(conn.status.reason).toBe("shutting_down");
    vi.advanceTimersByTime(1000);
    expect(sock.connects).toBe(2);
  });

  it("a transport-level connect_error keeps Socket.IO's own retry going", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.fire("connect_error", new Error("websocket error"));
    expect(conn.status).toEqual({ state: "reconnecting", reason: "websocket error", attempt: 0 });
  });

  it("refuses a server speaking another protocol version", () => {
    const { sock, conn } = setup();
    const errors: string[] = [];
    conn.on("protocolError", (e) => errors.push(e.message));
    conn.connect();
    sock.connected = true;
    sock.fire("welcome", { ...(decode(fixtureBytes("welcome_v2")) as object), protocol: 3 });
    expect(conn.status).toEqual({ state: "disconnected", reason: "protocol_3", attempt: 0 });
    expect(errors).toHaveLength(1);
  });

  it("close() is final", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.accept();
    conn.close();
    expect(conn.status.state).toBe("disconnected");
    sock.fire("disconnect", "io client disconnect");
    expect(conn.status).toEqual({ state: "disconnected", reason: "closed", attempt: 0 });
  });

  it("a dropped link reconnects with the token; the same token back is a resume", () => {
    const { sock, conn } = setup({ name: "Ada", room: "r1" });
    conn.connect();
    sock.accept();
    expect(conn.resumed).toBe(false);
    sock.connected = false;
    sock.fire("disconnect", "ping timeout");
    expect(conn.status.state).toBe("reconnecting");
    expect(conn.sessionToken).toBe("00112233445566778899aabbccddeeff");
    // Socket.IO's own reconnection calls the auth function again: it carries the token.
    expect(authOf(sock)).toEqual({ protocol: 2, name: "Ada", room: "r1", token: "00112233445566778899aabbccddeeff" });
    sock.accept();
    expect(conn.resumed).toBe(true);
    expect(conn.status.state).toBe("connected");
  });

  it("invalid_token (hold expired): forgets the token and joins afresh at once", () => {
    const { sock, conn } = setup({ name: "Ada" });
    conn.connect();
    sock.accept();
    sock.connected = false;
    sock.fire("disconnect", "transport close");
    const before = sock.connects;
    sock.active = false; // a server refusal ends Socket.IO's own retries
    sock.fire("connect_error", new Error("invalid_token"));
    expect(conn.sessionToken).toBeUndefined();
    expect(conn.status.state).toBe("reconnecting");
    expect(conn.status.reason).toBe("session_expired");
    expect(sock.connects).toBe(before + 1);
    expect(authOf(sock)).toEqual({ protocol: 2, name: "Ada" });
    sock.fire("welcome", { ...(decode(fixtureBytes("welcome_v2")) as object), id: 6, token: "ffeeddccbbaa99887766554433221100" });
    expect(conn.resumed).toBe(false);
    expect(conn.welcome!.id).toBe(6);
    expect(conn.sessionToken).toBe("ffeeddccbbaa99887766554433221100");
  });

  it("an invalid_token with no token sent is a refusal like any other", () => {
    const { sock, conn } = setup();
    conn.connect();
    sock.active = false;
    sock.fire("connect_error", new Error("invalid_token"));
    expect(conn.status).toEqual({ state: "disconnected", reason: "invalid_token", attempt: 0 });
    expect(sock.connects).toBe(1);
  });

  it("bye replaced (opened elsewhere) is final: no reconnect, token dropped", () => {
    const { sock, conn } = setup();
    const byes: string[] = [];
    conn.on("bye", (b) => byes.push(b.reason));
    conn.connect();
    sock.accept();
    sock.fire("bye", { reason: "replaced", message: "" });
    sock.active = false;
    sock.connected = false;
    sock.fire("disconnect", "io server disconnect");
    expect(byes).toEqual(["replaced"]);
    expect(conn.status).toEqual({ state: "disconnected", reason: "replaced", attempt: 0 });
    expect(conn.sessionToken).toBeUndefined();
    vi.advanceTimersByTime(60_000);
    expect(sock.connects).toBe(1);
  });

  it("bye shutdown: reconnects after a delay as a fresh join (the seat died with the server)", () => {
    const { sock, conn } = setup({ name: "Ada" });
    conn.connect();
    sock.accept();
    sock.fire("bye", { reason: "shutdown", message: "" });
    sock.active = false;
    sock.connected = false;
    sock.fire("disconnect", "io server disconnect");
    expect(conn.sessionToken).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(sock.connects).toBe(2);
    expect(authOf(sock)).toEqual({ protocol: 2, name: "Ada" });
  });

  it("while the browser is offline, no reconnect is tried; the online event starts one with the token", () => {
    let online = true;
    let onOnline = () => {};
    let onOffline = () => {};
    const sock = new FakeSocket();
    const conn = new Connection({
      url: "http://test",
      socketFactory: (_url, o) => {
        sock.options = o as Record<string, unknown>;
        return sock;
      },
      network: {
        isOnline: () => online,
        watch: (on, off) => {
          onOnline = on;
          onOffline = off;
          return () => {};
        },
      },
    });
    conn.connect();
    sock.accept();
    online = false;
    onOffline(); // still "connected" until the heartbeat says otherwise: nothing happens yet
    expect(conn.status.state).toBe("connected");
    sock.connected = false;
    sock.fire("disconnect", "ping timeout");
    expect(conn.status).toMatchObject({ state: "reconnecting", reason: "offline" });
    expect(sock.active).toBe(false); // Socket.IO's own retries stopped
    vi.advanceTimersByTime(60_000);
    expect(sock.connects).toBe(1);
    online = true;
    onOnline();
    expect(sock.connects).toBe(2);
    expect(authOf(sock)).toEqual({ protocol: 2, token: "00112233445566778899aabbccddeeff" });
    sock.accept();
    expect(conn.resumed).toBe(true);
  });
});
