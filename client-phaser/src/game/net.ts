/**
 * The connection a play scene opens (or takes over from another play scene): one build plays
 * every game in `src/games/`, and which one is only known from `welcome.game`. The scene that gets
 * a `welcome` for another game hands the live connection (and that `welcome`) to that game's
 * scene instead of closing it.
 */
import { Connection, type SessionStore, type Welcome } from "tickstate-sdk";
import { ALL_EVENT_DECODERS, type AnyKnownGame } from "../games";

export type GameConnection = Connection<AnyKnownGame>;

/** A live connection passed from one play scene to another, with the `welcome` it just got. */
export interface Handover {
  readonly conn: GameConnection;
  readonly welcome: Welcome;
  /**
   * Stops buffering and returns the game events that came while the next scene was starting (a
   * `scoreboard` sent right after `welcome` would otherwise be lost), oldest first.
   */
  readonly takeEvents: () => BufferedEvent[];
}

/** A game event as the connection's `event` listeners get it. */
export type BufferedEvent = readonly [name: string, data: unknown, tick: number];

/** Hands `conn` over with `welcome`, buffering its game events until the next scene takes them. */
export function handOver(conn: GameConnection, welcome: Welcome): Handover {
  const buffered: BufferedEvent[] = [];
  const off = conn.on("event", (name, data, tick) => {
    if (buffered.length < 256) buffered.push([name, data, tick]);
  });
  return {
    conn,
    welcome,
    takeEvents: () => {
      off();
      return buffered.splice(0);
    },
  };
}

/**
 * A connection for `name` (and `room`, or matchmaking) that resumes the tab's stored seat; not
 * connected yet (add the listeners, then `connect()`).
 */
export function openConnection(name: string, room: string | null, store: SessionStore): GameConnection {
  // A token kept by this tab (the page was reloaded mid-game) takes the same seat back.
  const token = store.tokenFor(room ?? undefined);
  const conn = new Connection<AnyKnownGame>({
    events: ALL_EVENT_DECODERS,
    name,
    ...(room === null ? {} : { room }),
    ...(token === undefined ? {} : { token }),
  });
  return conn;
}
