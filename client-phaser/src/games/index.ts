/**
 * The games this build plays, and the one connection type that can join either: the page does not
 * know which game the server hosts until `welcome.game` says so, so the connection carries the
 * event decoders of every game (their event names do not overlap) and the scene of the game named
 * in `welcome` takes it over.
 */
import type { GameTypes } from "tickstate-sdk";
import * as ArenaGame from "./arena";
import * as StarCollectorGame from "./star-collector";
import type { Arena } from "./arena";
import type { StarCollector } from "./star-collector";

/** Every game's types at once: what a connection opened before `welcome` may receive and send. */
export interface AnyKnownGame extends GameTypes {
  readonly entities: StarCollector["entities"] | Arena["entities"];
  readonly input: Partial<Arena["input"]>;
  readonly private: Partial<Arena["private"]>;
  readonly messages: Arena["messages"];
  readonly events: StarCollector["events"] & Arena["events"];
}

/** The decoders of every game's events (the names are distinct across games). */
export const ALL_EVENT_DECODERS = { ...StarCollectorGame.EVENT_DECODERS, ...ArenaGame.EVENT_DECODERS };

/** Phaser scene keys, by `welcome.game`. */
export const SCENE_FOR_GAME: Readonly<Record<string, string>> = {
  [StarCollectorGame.GAME]: "Game",
  [ArenaGame.GAME]: "Arena",
};

/** The scene that plays `game` (Star Collector's for a game this build does not know). */
export function sceneFor(game: string): string {
  return SCENE_FOR_GAME[game] ?? "Game";
}
