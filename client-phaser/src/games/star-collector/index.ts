/**
 * Star Collector's client-side rules: what its kinds mean (red and blue ships, stars), its `scores`
 * event, and its teams. Everything generic (connection, snapshots, prediction, interpolation) is
 * in `tickstate-sdk`; the wire names and kind ids come from `schema.generated.ts`, generated from
 * the server's game definition, so they cannot drift apart.
 */
import { ProtocolError, type EventDecoders, type SchemaDoc } from "tickstate-sdk";
import { GAME, Kinds, SCHEMA, type Events, type Scores, type Types } from "./schema.generated";

export { GAME, Kinds, SCHEMA };
export type { Scores, Types as StarCollector };

export type Team = "red" | "blue";

/** The team a ship kind plays for, or null for anything that is not a ship. */
export function teamOf(kind: number | null): Team | null {
  return kind === Kinds.red_ship ? "red" : kind === Kinds.blue_ship ? "blue" : null;
}

export function isShip(kind: number): boolean {
  return teamOf(kind) !== null;
}

export function isStar(kind: number): boolean {
  return kind === Kinds.star;
}

/** Kinds drawn where the newest snapshot has them (stars sit still, or jump when collected). */
export const STATIC_KINDS: readonly number[] = [Kinds.star];

export const NO_SCORES: Scores = { red: 0, blue: 0 };

function count(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new ProtocolError(`${what}: expected an integer in 0..=4294967295, got ${String(v)}`);
  }
  return v;
}

/** Decodes the `scores` event (`{ red, blue }`); unknown fields are ignored. */
export function decodeScores(v: unknown): Scores {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ProtocolError("scores: expected a map");
  const o = v as Record<string, unknown>;
  return { red: count(o.red, "scores.red"), blue: count(o.blue, "scores.blue") };
}

/** The validating decoders of Star Collector's events, for `Connection`'s `events` option. */
export const EVENT_DECODERS: EventDecoders<Events> = { scores: decodeScores };

/** The schema the client was built for (what a server hosting this game sends in `welcome`). */
export const EXPECTED_SCHEMA: SchemaDoc = SCHEMA;
