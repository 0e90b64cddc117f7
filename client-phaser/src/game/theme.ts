/** Colours, sizes and text styles shared by the scenes. */
import { Kinds } from "../games/star-collector";

export const Colors = {
  background: 0x070b18,
  field: 0x0b1226,
  grid: 0x16213f,
  border: 0x2a3a66,
  wall: 0x2b3656,
  wallEdge: 0x6b7fb3,
  red: 0xff4d5e,
  redDark: 0x9c1f2d,
  blue: 0x3d8bff,
  blueDark: 0x1b3f8a,
  neutral: 0xa0a8c0,
  star: 0xffd54a,
  starCore: 0xfff4c2,
  own: 0xfff27a,
  text: "#e8ecff",
  dim: "#8c96b8",
  redText: "#ff6b7a",
  blueText: "#6aa8ff",
  ownText: "#fff27a",
  // Arena.
  arenaOwn: 0x2ee6c8,
  arenaOwnDark: 0x0f6b5e,
  arenaEnemy: 0xff5a4d,
  arenaEnemyDark: 0x8a2219,
  boltOwn: 0xfff27a,
  boltEnemy: 0xff9a3d,
  rail: 0x9ad8ff,
  pickup: 0x4ade80,
  shield: 0x7cc4ff,
  arenaField: 0x0d1020,
  arenaGrid: 0x191d36,
  arenaWall: 0x30364f,
  arenaWallEdge: 0xc2863d,
  greenText: "#4ade80",
  orangeText: "#ffb45a",
} as const;

/** Height of the HUD bar above the field, in game pixels. */
export const HUD_HEIGHT = 64;

/** Default game size before the first `welcome` (Star Collector's world). */
export const DEFAULT_WORLD = { width: 1600, height: 900 } as const;

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

export function teamColor(kind: number): number {
  return kind === Kinds.red_ship ? Colors.red : kind === Kinds.blue_ship ? Colors.blue : Colors.neutral;
}

export function teamText(kind: number | null): string {
  return kind === Kinds.red_ship ? Colors.redText : kind === Kinds.blue_ship ? Colors.blueText : Colors.text;
}

export function teamName(kind: number | null): string {
  return kind === Kinds.red_ship ? "red" : kind === Kinds.blue_ship ? "blue" : "";
}

/** Texture keys made by the Preloader. */
export const Tex = {
  shipRed: "ship-red",
  shipBlue: "ship-blue",
  shipOther: "ship-other",
  star: "star",
  starGlow: "star-glow",
  spark: "spark",
  sparkRed: "spark-red",
  sparkBlue: "spark-blue",
  sparkStar: "spark-star",
  ring: "ring",
  dust: "dust",
  field: "field",
  // Arena.
  arenaOwn: "arena-ship-own",
  arenaEnemy: "arena-ship-enemy",
  arenaAway: "arena-ship-away",
  arenaFlash: "arena-ship-flash",
  boltOwn: "bolt-own",
  boltEnemy: "bolt-enemy",
  pickup: "pickup",
  shield: "shield",
  sparkHit: "spark-hit",
  sparkFire: "spark-fire",
} as const;

export function shipTexture(kind: number): string {
  return kind === Kinds.red_ship ? Tex.shipRed : kind === Kinds.blue_ship ? Tex.shipBlue : Tex.shipOther;
}

/** Particle texture for a ship's thruster (textures are pre-coloured: Canvas rendering has no tint). */
export function sparkTexture(kind: number): string {
  return kind === Kinds.red_ship ? Tex.sparkRed : kind === Kinds.blue_ship ? Tex.sparkBlue : Tex.spark;
}
