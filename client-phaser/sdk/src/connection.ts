/**
 * The Socket.IO connection to a Tickstate server (protocol v2), with the MessagePack parser,
 * WebSocket only.
 *
 * It decodes every server event and hands typed values to listeners; it tracks a connection status
 * for the HUD (`connecting` → `connected` on `welcome` → `reconnecting` when the link drops →
 * `disconnected` when it gives up or is refused), reconnects by itself, and measures the round-trip
 * time with acknowledged `ping`s. Each reconnect brings a fresh `welcome`, whose `schema` compiles
 * the snapshot decoder: nothing here knows a particular game.
 *
 * Game events (`welcome.schema.events`) arrive with two arguments, the data and the server tick;
 * the game gives a decoder per event it handles (validation of network data), and listens with
 * {@link Connection.onEvent}. Game messages go out with {@link Connection.sendMessage}, checked
 * against `schema.messages` (name, `max_bytes`) before they leave.
 *
 * Sessions (PROTOCOL.md "Sessions and reconnecting"): the `token` of the latest `welcome` is kept
 * and sent in the auth of every reconnect, so a dropped link resumes the same seat (a `welcome`
 * with the same id and token: {@link Connection.resumed} is true, and listeners keep their game
 * state). A token the server refuses (`invalid_token`: the seat was released after the hold
 * period) is forgotten and the client joins afresh at once. Any `bye` uses the token up (the server
 * removed the player or is stopping), so the next connect is a fresh join; `bye` `replaced` (the
 * same player connected again elsewhere, e.g. another tab) is final: no reconnect.
 *
 * While the browser says it is offline (`navigator.onLine`), no reconnect is attempted (each would
 * only fail, and log a network error); the `online` event starts one at once.
 *
 * Socket.IO's own reconnection handles dropped links. Refusals (`connect_error` from the server,
 * whose message is a code, optionally `": "` and a detail) and server-side closes do not reconnect
 * by themselves in Socket.IO; here the transient ones ({@link TRANSIENT_REFUSALS}, and `bye` with a
 * reason of {@link TRANSIENT_BYE_REASONS}) are retried with a backoff, the others
 * (`protocol_mismatch`, `invalid_auth`, `kicked`, …) end in `disconnected` with the code as reason.
 */
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import * as msgpackParser from "socket.io-msgpack-parser";
import { encode } from "@msgpack/msgpack";
import {
  decodeBye,
  decodeJoined,
  decodeLeft,
  decodeWelcome,
  parseRefusal,
  ProtocolError,
  SnapshotCodec,
} from "./codec";
import { SnapshotReceiver } from "./delta";
import { ENGINE_EVENTS, TRANSIENT_BYE_REASONS, TRANSIENT_REFUSALS } from "./generated/vocabulary";

/** The acknowledgement event (PROTOCOL.md "snapshot_ack"). */
const SNAPSHOT_ACK = "snapshot_ack";
import {
  PROTOCOL_VERSION,
  type AnyGame,
  type Auth,
  type Bye,
  type GameTypes,
  type InputMsg,
  type Joined,
  type Left,
  type Snapshot,
  type Welcome,
  type WireValue,
} from "./protocol";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Why the connection is not (or no longer) up: a `bye` or `connect_error` reason, or Socket.IO's. */
  readonly reason: string | null;
  /** Reconnection attempts since the link was last up. */
  readonly attempt: number;
}

export interface ConnectionEvents {
  status: (status: ConnectionStatus) => void;
  welcome: (welcome: Welcome) => void;
  /** `receivedAt` is the local time (ms, `performance.now()`) the snapshot arrived. */
  snapshot: (snapshot: Snapshot, receivedAt: number) => void;
  joined: (joined: Joined) => void;
  left: (left: Left) => void;
  bye: (bye: Bye) => void;
  /** A game event (any name in `schema.events` with a decoder), decoded; see also {@link Connection.onEvent}. */
  event: (name: string, data: unknown, tick: number) => void;
  rtt: (ms: number) => void;
  /** A server message that could not be decoded (it is dropped). */
  protocolError: (error: ProtocolError) => void;
}

/** The part of a Socket.IO client socket this module uses (a fake stands in for it in tests). */
export interface SocketLike {
  readonly connected: boolean;
  readonly active: boolean;
  readonly io: { on(event: string, fn: (...args: never[]) => void): unknown };
  on(event: string, fn: (...args: never[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
}

/** Whether the device has a network, and when it comes back (the browser's `navigator.onLine`). */
export interface NetworkState {
  isOnline(): boolean;
  /** Calls `online` whenever the network comes back and `offline` when it goes; returns an unsubscribe. */
  watch(online: () => void, offline: () => void): () => void;
}

/** The browser's network state; in Node (tests), always online. */
export const browserNetwork: NetworkState = {
  isOnline: () => typeof navigator === "undefined" || navigator.onLine !== false,
  watch(online, offline) {
    if (typeof window === "undefined") return () => {};
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
    };
  },
};

export type SocketFactory = (url: string | undefined, options: Partial<ManagerOptions & SocketOptions>) => SocketLike;

/** Decoders (validators) of the game events a game handles, by event name. */
export type EventDecoders<E> = { readonly [K in keyof E]?: (raw: unknown) => E[K] };

export interface ConnectionOptions<T extends GameTypes = AnyGame> {
  /** Server URL; same origin when absent (the page is served by the Tickstate server or Vite's proxy). */
  readonly url?: string;
  readonly name?: string;
  readonly room?: string;
  /** Resume token to send on the first connect (later connects send the latest `welcome.token`). */
  readonly token?: string;
  /** For servers with an authenticator (e.g. a signed JWT). */
  readonly credential?: string;
  /** Join options for the game rules (a team, a class). At most 1,024 bytes of MessagePack. */
  readonly options?: { readonly [key: string]: WireValue | undefined };
  /**
   * Decoders of the game's events: each checks the shape of the data and returns it typed, or
   * throws (the event is then dropped and reported as a `protocolError`). Events without a decoder
   * are ignored: nothing untyped reaches the game.
   */
  readonly events?: EventDecoders<T["events"]>;
  /** Interval between RTT pings, ms. Default 1000; 0 disables them. */
  readonly pingIntervalMs?: number;
  /** Clock for RTT and arrival times. Default `performance.now()`. */
  readonly now?: () => number;
  /** Creates the socket. Default: socket.io-client's `io`. */
  readonly socketFactory?: SocketFactory;
  /** First delay before retrying a refused or closed connection, ms (doubles up to 10 s). Default 1000. */
  readonly retryDelayMs?: number;
  /** Network state. Default {@link browserNetwork}. */
  readonly network?: NetworkState;
  /**
   * Acknowledge snapshots (`snapshot_ack`) so that a server announcing `welcome.deltas` sends
   * delta snapshots, decoded here. Default true; false keeps full snapshots.
   */
  readonly deltas?: boolean;
}

/** `connect_error` codes worth retrying by themselves, after a backoff. */
const TRANSIENT_REFUSAL = new Set<string>(TRANSIENT_REFUSALS);
/** `bye` reasons after which the client reconnects by itself. */
const TRANSIENT_BYE = new Set<string>(TRANSIENT_BYE_REASONS);

type Listeners = { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> };

/** Why a game message was not sent. */
export type MessageRefusal = "not_connected" | "unknown" | "too_large";

export class Connection<T extends GameTypes = AnyGame> {
  private readonly socket: SocketLike;
  private readonly now: () => number;
  private readonly options: ConnectionOptions<T>;
  private codec: SnapshotCodec | null = null;
  private receiver: SnapshotReceiver | null = null;
  /** Game events with a Socket.IO listener on the socket (added once per name). */
  private readonly wiredEvents = new Set<string>();
  private readonly listeners: Listeners = {
    status: new Set(),
    welcome: new Set(),
    snapshot: new Set(),
    joined: new Set(),
    left: new Set(),
    event: new Set(),
    bye: new Set(),
    rtt: new Set(),
    protocolError: new Set(),
  };
  private statusValue: ConnectionStatus = { state: "connecting", reason: null, attempt: 0 };
  private welcomeValue: Welcome | null = null;
  private token: string | undefined;
  private resumedValue = false;
  private lastBye: Bye | null = null;
  private lastRefusalValue: string | null = null;
  private protocolErrorCount = 0;
  private rttValue: number | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay: number;
  private closed = false;
  /** Waiting for the network to come back before reconnecting. */
  private waitingForNetwork = false;
  private readonly network: NetworkState;
  private unwatch: (() => void) | null = null;

  constructor(options: ConnectionOptions<T> = {}) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.token = options.token;
    this.retryDelay = options.retryDelayMs ?? 1000;
    this.network = options.network ?? browserNetwork;
    const factory: SocketFactory = options.socketFactory ?? ((url, o) => (url === undefined ? io(o) : io(url, o)));
    this.socket = factory(options.url, {
      transports: ["websocket"],
      parser: msgpackParser,
      autoConnect: false,
      // A function, so each reconnect sends the latest token.
      auth: (cb: (auth: object) => void) => cb(this.auth()),
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.wire();
  }

  /** Opens the connection. */
  connect(): this {
    this.closed = false;
    this.unwatch ??= this.network.watch(
      () => this.onOnline(),
      () => {
        if (!this.socket.connected) this.pauseUntilOnline();
      },
    );
    this.setStatus("connecting", null, 0);
    this.socket.connect();
    return this;
  }

  /** Closes the connection for good (no reconnect). */
  close(): void {
    this.closed = true;
    this.waitingForNetwork = false;
    this.unwatch?.();
    this.unwatch = null;
    this.clearTimers();
    this.socket.disconnect();
    this.setStatus("disconnected", "closed", 0);
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** The `welcome` of the current connection, or null while not connected. */
  get welcome(): Welcome | null {
    return this.welcomeValue;
  }

  /** The resume token sent on the next connect (the latest `welcome.token`), if any. */
  get sessionToken(): string | undefined {
    return this.token;
  }

  /** The current `welcome` resumed an earlier seat (same token as the one sent). */
  get resumed(): boolean {
    return this.resumedValue;
  }

  /** The full message of the last `connect_error` that had a detail (for people), or null. */
  get lastRefusal(): string | null {
    return this.lastRefusalValue;
  }

  /** Server messages dropped because they could not be decoded, since this connection was made. */
  get protocolErrors(): number {
    return this.protocolErrorCount;
  }

  /** The snapshot decoder compiled from the current `welcome.schema`, or null before it. */
  get snapshotCodec(): SnapshotCodec | null {
    return this.codec;
  }

  /** Latest round-trip time in ms, or null before the first ping came back. */
  get rtt(): number | null {
    return this.rttValue;
  }

  on<K extends keyof ConnectionEvents>(event: K, fn: ConnectionEvents[K]): () => void {
    this.listeners[event].add(fn);
    return () => this.listeners[event].delete(fn);
  }

  /**
   * Listens to one game event, decoded by the decoder given in the options (`data`) with the
   * server tick it belongs to. Returns an unsubscribe.
   */
  onEvent<K extends keyof T["events"] & string>(name: K, fn: (data: T["events"][K], tick: number) => void): () => void {
    return this.on("event", (n, data, tick) => {
      if (n === name) fn(data as T["events"][K], tick);
    });
  }

  /**
   * Sends one input (`[seq, dx, dy, buttons, ...fields]` from `encodeInput`). Returns false, sending
   * nothing, while there is no welcomed connection: Socket.IO would otherwise buffer it and replay
   * stale inputs after a reconnect.
   */
  sendInput(msg: InputMsg): boolean {
    if (!this.socket.connected || !this.welcomeValue) return false;
    this.socket.emit(ENGINE_EVENTS.input, msg);
    return true;
  }

  /**
   * Sends a game message (`schema.messages`). Returns null when sent, or why not: not connected
   * (never queued: messages are not part of the input stream and are not resent), a name the
   * server did not declare, or a payload over its `max_bytes` of MessagePack.
   */
  sendMessage<K extends keyof T["messages"] & string>(name: K, payload: T["messages"][K]): MessageRefusal | null {
    const w = this.welcomeValue;
    if (!this.socket.connected || !w) return "not_connected";
    const doc = w.schema.messages.find((m) => m.name === name);
    if (!doc) return "unknown";
    const size = encode(payload).byteLength;
    if (size > doc.max_bytes) return "too_large";
    this.socket.emit(name, payload);
    return null;
  }

  /** Sends one RTT ping now. */
  ping(): void {
    if (!this.socket.connected) return;
    const sent = this.now();
    this.socket.emit(ENGINE_EVENTS.ping, sent, (echo: unknown) => {
      if (echo !== sent) return; // not our value: ignore rather than report nonsense
      this.rttValue = this.now() - sent;
      this.emit("rtt", this.rttValue);
    });
  }

  /** The connect auth: protocol 2 always; with a token, the server ignores the rest. */
  private auth(): Auth {
    const auth: Auth = { protocol: PROTOCOL_VERSION };
    const o = this.options;
    if (o.name !== undefined) auth.name = o.name;
    if (o.room !== undefined) auth.room = o.room;
    if (this.token !== undefined) auth.token = this.token;
    if (o.credential !== undefined) auth.credential = o.credential;
    if (o.options !== undefined) auth.options = o.options;
    return auth;
  }

  private wire(): void {
    const s = this.socket;
    s.on("connect", () => {
      this.lastBye = null;
      // Still "connecting" until the welcome arrives.
    });
    s.on("connect_error", (err: Error & { data?: unknown }) => {
      const message = err?.message || "connect_error";
      // The code is the part before the first `:` (`protocol_mismatch: this server speaks …`).
      const refusal = parseRefusal(message);
      const reason = refusal.code || "connect_error";
      this.lastRefusalValue = refusal.detail === "" ? null : message;
      if (this.closed) return;
      if (reason === "invalid_token" && this.token !== undefined && !s.active) {
        // The held seat is gone (hold period over, or the server restarted): join afresh now.
        this.token = undefined;
        this.setStatus("reconnecting", "session_expired", this.statusValue.attempt + 1);
        s.connect();
        return;
      }
      if (s.active) {
        // A transport-level failure: Socket.IO retries by itself, unless there is no network.
        if (!this.network.isOnline()) return this.pauseUntilOnline();
        this.setStatus("reconnecting", reason, this.statusValue.attempt);
      } else if (TRANSIENT_REFUSAL.has(reason)) {
        this.retryLater(reason);
      } else {
        this.setStatus("disconnected", reason, this.statusValue.attempt);
      }
    });
    s.on("disconnect", (why: string) => {
      this.welcomeValue = null;
      this.stopPing();
      if (this.closed) return;
      const bye = this.lastBye;
      if (bye && !TRANSIENT_BYE.has(bye.reason)) {
        this.setStatus("disconnected", bye.reason, 0);
        if (s.active) s.disconnect(); // e.g. kicked: do not come back by ourselves
        return;
      }
      const reason = bye?.reason ?? why;
      if (!this.network.isOnline()) this.pauseUntilOnline();
      else if (s.active) this.setStatus("reconnecting", reason, 0);
      else this.retryLater(reason);
    });
    s.io.on("reconnect_attempt", (attempt: number) => {
      if (!this.closed) this.setStatus("reconnecting", this.statusValue.reason, attempt);
    });
    s.io.on("reconnect_failed", () => {
      if (!this.closed) this.setStatus("disconnected", "reconnect_failed", this.statusValue.attempt);
    });

    s.on(ENGINE_EVENTS.welcome, (raw: unknown) => {
      const w = this.decode(() => decodeWelcome(raw));
      if (!w) return;
      if (w.protocol !== PROTOCOL_VERSION) {
        this.emit("protocolError", new ProtocolError(`welcome.protocol ${w.protocol} is not ${PROTOCOL_VERSION}`));
        this.closed = true;
        s.disconnect();
        this.setStatus("disconnected", `protocol_${w.protocol}`, 0);
        return;
      }
      this.welcomeValue = w;
      this.codec = new SnapshotCodec({ schema: w.schema, world: w.world });
      this.receiver = (w.deltas ?? 0) > 0 && this.options.deltas !== false ? new SnapshotReceiver(this.codec) : null;
      this.wireGameEvents(w.schema.events);
      this.resumedValue = this.token !== undefined && this.token === w.token;
      this.token = w.token;
      this.retryDelay = this.options.retryDelayMs ?? 1000;
      this.setStatus("connected", null, 0);
      this.emit("welcome", w);
      this.startPing();
    });
    s.on(ENGINE_EVENTS.snapshot, (raw: unknown) => {
      const at = this.now();
      const codec = this.codec;
      if (!codec || !this.welcomeValue) return; // before welcome: nothing to decode it with
      const receiver = this.receiver;
      const snap = this.decode(() => (receiver ? receiver.receive(raw) : codec.decode(raw)));
      if (!snap) return;
      // Acknowledge what was decoded: the server then sends deltas against it (PROTOCOL.md
      // "snapshot_ack"). A server without deltas (no `welcome.deltas`) is not sent acks.
      if (receiver) s.emit(SNAPSHOT_ACK, snap.tick);
      this.emit("snapshot", snap, at);
    });
    s.on(ENGINE_EVENTS.joined, (raw: unknown) => {
      const v = this.decode(() => decodeJoined(raw));
      if (v) this.emit("joined", v);
    });
    s.on(ENGINE_EVENTS.left, (raw: unknown) => {
      const v = this.decode(() => decodeLeft(raw));
      if (v) this.emit("left", v);
    });
    s.on(ENGINE_EVENTS.bye, (raw: unknown) => {
      const v = this.decode(() => decodeBye(raw));
      if (!v) return;
      this.lastBye = v;
      // The server removed us (or is stopping): the seat is not held, the token is used up.
      this.token = undefined;
      this.emit("bye", v);
    });
  }

  /**
   * Adds a socket listener for each game event that has a decoder (once per name: a resumed
   * `welcome` names the same events). Engine event names are never taken as game events.
   */
  private wireGameEvents(names: readonly string[]): void {
    const decoders = (this.options.events ?? {}) as Readonly<Record<string, ((raw: unknown) => unknown) | undefined>>;
    const engine = new Set<string>(Object.values(ENGINE_EVENTS));
    for (const name of names) {
      const dec = decoders[name];
      if (!dec || engine.has(name) || this.wiredEvents.has(name)) continue;
      this.wiredEvents.add(name);
      this.socket.on(name, (raw: unknown, tick: unknown) => {
        const t = typeof tick === "number" && Number.isInteger(tick) && tick >= 0 ? tick : null;
        if (t === null) {
          this.protocolErrorCount++;
          this.emit("protocolError", new ProtocolError(`${name}: expected (data, tick), got tick ${String(tick)}`));
          return;
        }
        const data = this.decode(() => {
          try {
            return dec(raw);
          } catch (e) {
            if (e instanceof ProtocolError) throw e;
            throw new ProtocolError(`${name}: ${e instanceof Error ? e.message : String(e)}`);
          }
        });
        if (data !== null) this.emit("event", name, data, t);
      });
    }
  }

  /**
   * Runs a decoder; a malformed message is reported (`protocolError`) and dropped, never thrown
   * into the socket's event loop or the game.
   */
  private decode<R>(f: () => R): R | null {
    try {
      return f();
    } catch (e) {
      this.protocolErrorCount++;
      this.emit("protocolError", e instanceof ProtocolError ? e : new ProtocolError(e instanceof Error ? e.message : String(e)));
      return null;
    }
  }

  private retryLater(reason: string): void {
    if (this.retryTimer !== null) return;
    const attempt = this.statusValue.attempt + 1;
    this.setStatus("reconnecting", reason, attempt);
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed) return;
      if (this.network.isOnline()) this.socket.connect();
      else this.pauseUntilOnline();
    }, delay);
  }

  /** No network: stop Socket.IO's retries (each would fail) until the `online` event. */
  private pauseUntilOnline(): void {
    if (this.closed) return;
    this.waitingForNetwork = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket.active) this.socket.disconnect();
    this.setStatus("reconnecting", "offline", this.statusValue.attempt);
  }

  private onOnline(): void {
    if (this.closed || !this.waitingForNetwork) return;
    this.waitingForNetwork = false;
    this.setStatus("reconnecting", "back online", this.statusValue.attempt + 1);
    this.socket.connect();
  }

  private startPing(): void {
    this.stopPing();
    const every = this.options.pingIntervalMs ?? 1000;
    if (every <= 0) return;
    this.ping();
    this.pingTimer = setInterval(() => this.ping(), every);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    this.stopPing();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setStatus(state: ConnectionState, reason: string | null, attempt: number): void {
    const prev = this.statusValue;
    if (prev.state === state && prev.reason === reason && prev.attempt === attempt) return;
    this.statusValue = { state, reason, attempt };
    this.emit("status", this.statusValue);
  }

  private emit<K extends keyof ConnectionEvents>(event: K, ...args: Parameters<ConnectionEvents[K]>): void {
    for (const fn of this.listeners[event]) {
      try {
        (fn as (...a: Parameters<ConnectionEvents[K]>) => void)(...args);
      } catch (e) {
        // A listener's bug must not break the connection's own bookkeeping or the other listeners.
        console.error(`tickstate: a ${event} listener threw`, e);
      }
    }
  }
}
