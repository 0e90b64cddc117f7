/**
 * tickstate-sdk: a game-agnostic TypeScript client for Tickstate servers (PROTOCOL.md, version 2).
 *
 * - {@link Connection}: Socket.IO (WebSocket + MessagePack), auth, refusals, `bye`, sessions and
 *   resume, typed game events and messages, RTT.
 * - {@link SnapshotCodec}: snapshots decoded from `welcome.schema` alone.
 * - {@link GameSession}: one input per tick with the game's fields, prediction and
 *   reconciliation, interpolation, resend after a resume.
 *
 * No Phaser (or any renderer) here: draw what `GameSession.frame()` returns however you like.
 */
export * from "./generated/vocabulary";
export * from "./protocol";
export * from "./fields";
export * from "./codec";
export * from "./delta";
export * from "./movement";
export * from "./prediction";
export * from "./interpolation";
export * from "./fixed-step";
export * from "./session";
export * from "./connection";
export * from "./session-store";
export * from "./lobby";
