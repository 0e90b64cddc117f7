/**
 * Arena's client-side rules: what its kinds mean (ships, blaster bolts, health pickups), its
 * events' decoders, and the few tuning numbers the client predicts with (they mirror
 * `server/src/game/arena/tuning.rs`). The wire names and kind ids come from `schema.generated.ts`,
 * generated from the server's game definition.
 */
import { ProtocolError, type EventDecoders, type SchemaDoc } from "tickstate-sdk";
import {
  GAME,
  Kinds,
  SCHEMA,
  type ChatLine,
  type ChatRefused,
  type Events,
  type Kill,
  type RailShot,
  type ScoreLine,
  type Scoreboard,
  type Types,
} from "./schema.generated";

export { GAME, Kinds, SCHEMA };
export type { ChatLine, ChatRefused, Kill, RailShot, ScoreLine, Scoreboard, Types as Arena };

/** Numbers the client predicts with (`tuning.rs`). */
export const Tuning = {
  shipRadius: 18,
  maxHp: 100,
  /** Time between two bolts while the trigger is held, in 60 Hz ticks (150 ms). */
  blasterCooldownTicks: 9,
  boltSpeed: 900,
  boltRadius: 4,
  boltLifetimeMs: 1200,
  /** How far in front of the ship's centre a bolt appears. */
  muzzle: 18 + 4 + 2,
  railRangeUnits: 1400,
  /** Rail cooldown in 60 Hz ticks (1.5 s). */
  railCooldownTicks: 90,
  railCooldownS: 1.5,
  respawnDelayS: 2,
  chatMaxChars: 200,
} as const;

/** Kinds drawn where the newest snapshot has them: pickups sit still (or vanish when taken). */
export const STATIC_KINDS: readonly number[] = [Kinds.health];

/** Collision half-size of an entity without a player (for the SDK's coasting of bolts). */
export function radiusOf(kind: number): number {
  return kind === Kinds.bolt ? Tuning.boltRadius : 0;
}

export const isShip = (kind: number): boolean => kind === Kinds.ship;
export const isBolt = (kind: number): boolean => kind === Kinds.bolt;
export const isPickup = (kind: number): boolean => kind === Kinds.health;

// ---- event decoders (network data is checked before the game sees it) --------------------------

function map(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ProtocolError(`${what}: expected a map`);
  return v as Record<string, unknown>;
}

function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ProtocolError(`${what}: expected an integer in 0..=${max}, got ${String(v)}`);
  }
  return v;
}

function str(v: unknown, what: string, maxLen = 4096): string {
  if (typeof v !== "string" || v.length > maxLen) throw new ProtocolError(`${what}: expected a string`);
  return v;
}

function point(v: unknown, what: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new ProtocolError(`${what}: expected [x, y]`);
  }
  return [v[0] as number, v[1] as number];
}

function oneOf<T extends string>(v: unknown, options: readonly T[], what: string): T {
  if (typeof v !== "string" || !(options as readonly string[]).includes(v)) {
    throw new ProtocolError(`${what}: expected one of ${options.join(", ")}, got ${String(v)}`);
  }
  return v as T;
}

const U16 = 0xffff;
const U32 = 0xffff_ffff;

export function decodeChat(v: unknown): ChatLine {
  const o = map(v, "chat");
  return { id: uint(o.id, U16, "chat.id"), text: str(o.text, "chat.text") };
}

export function decodeChatRefused(v: unknown): ChatRefused {
  const o = map(v, "chat_refused");
  return { reason: oneOf(o.reason, ["empty", "too_long", "rate_limited"] as const, "chat_refused.reason") };
}

export function decodeKill(v: unknown): Kill {
  const o = map(v, "kill");
  return {
    killer: uint(o.killer, U16, "kill.killer"),
    victim: uint(o.victim, U16, "kill.victim"),
    weapon: oneOf(o.weapon, ["blaster", "rail"] as const, "kill.weapon"),
  };
}

export function decodeScoreboard(v: unknown): Scoreboard {
  const o = map(v, "scoreboard");
  if (!Array.isArray(o.players) || o.players.length > 1024) throw new ProtocolError("scoreboard.players: expected a list");
  return {
    players: o.players.map((p, i): ScoreLine => {
      const l = map(p, `scoreboard.players[${i}]`);
      return {
        id: uint(l.id, U16, "scoreboard id"),
        name: str(l.name, "scoreboard name", 256),
        kills: uint(l.kills, U32, "scoreboard kills"),
        deaths: uint(l.deaths, U32, "scoreboard deaths"),
      };
    }),
  };
}

export function decodeRail(v: unknown): RailShot {
  const o = map(v, "rail");
  return {
    by: uint(o.by, U16, "rail.by"),
    from: point(o.from, "rail.from"),
    to: point(o.to, "rail.to"),
    hit: o.hit === null || o.hit === undefined ? null : uint(o.hit, U16, "rail.hit"),
  };
}

/** The validating decoders of Arena's events, for `Connection`'s `events` option. */
export const EVENT_DECODERS: EventDecoders<Events> = {
  chat: decodeChat,
  chat_refused: decodeChatRefused,
  kill: decodeKill,
  scoreboard: decodeScoreboard,
  rail: decodeRail,
};

/** The schema the client was built for (what a server hosting Arena sends in `welcome`). */
export const EXPECTED_SCHEMA: SchemaDoc = SCHEMA;

/** Player-facing text of a chat refusal. */
export function refusalText(r: ChatRefused["reason"]): string {
  switch (r) {
    case "empty":
      return "Nothing to send.";
    case "too_long":
      return `Too long: at most ${Tuning.chatMaxChars} characters.`;
    case "rate_limited":
      return "Slow down: too many messages.";
  }
}

/** An angle in [0, τ). */
export function normAngle(a: number): number {
  const t = Math.PI * 2;
  const r = a % t;
  return r < 0 ? r + t : r;
}
