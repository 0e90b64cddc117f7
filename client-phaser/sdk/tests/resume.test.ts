import { describe, expect, it } from "vitest";
import type { InputMsg, Welcome } from "../src/protocol";
import { step } from "../src/movement";
import { Predictor } from "../src/prediction";
import { GameSession, maxResendFor } from "../src/session";
import { entity, movement, snapshot, welcome, world } from "./world";

const TICK_MS = 1000 / 60;

/** A session that has sent `n` inputs (dx = 1, buttons = seq % 2) and seen its ship at (800, 600). */
function played(n: number, options: { maxResend?: number } = {}) {
  const sent: InputMsg[] = [];
  const s = new GameSession(welcome, (m) => sent.push(m), { stallMs: Infinity, ...options });
  s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600), entity(9, 2, 300, 300)]), 0);
  let t = 0;
  while (sent.length < n) {
    s.tick(t, () => ({ dx: 1, dy: 0, buttons: sent.length % 2 }));
    t += TICK_MS;
  }
  return { s, sent, t };
}

describe("resuming a session after a dropped connection", () => {
  it("resumes only a welcome with the same id, token and room", () => {
    const { s } = played(1);
    expect(s.canResume({ ...welcome })).toBe(true);
    expect(s.canResume({ ...welcome, id: 6 })).toBe(false);
    expect(s.canResume({ ...welcome, token: "ffeeddccbbaa99887766554433221100" })).toBe(false);
    expect(s.canResume({ ...welcome, room: "other" })).toBe(false);
    expect(() => s.resume({ ...welcome, id: 6 })).toThrow();
  });

  it("resends exactly the inputs newer than the resumed snapshot's ack, in order, then numbers on", () => {
    const { s, sent, t } = played(20);
    const before = sent.length;
    s.resume({ ...welcome, players: [{ id: 5, name: "Ada" }] });
    // Paused until the resumed snapshot: no input may overtake the ones to resend.
    expect(s.inputPause(t + 100)).toBe("resuming");
    expect(s.tick(t + 100, () => ({ dx: 0, dy: 1, buttons: 0 }))).toBe(0);
    expect(sent.length).toBe(before);

    // The server applied up to 12 before the drop.
    let server = { x: 800, y: 600 };
    for (const m of sent.slice(0, 12)) server = step(server, m[1], m[2], world, movement);
    s.onSnapshot(snapshot(1400, 12, [entity(5, 1, server.x, server.y)]), t + 120);
    const resent = sent.slice(before);
    expect(resent.map((m) => m[0])).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(resent).toEqual(sent.slice(12, 20)); // the same inputs, buttons included
    expect(s.lastResume).toEqual({ ack: 12, resent: [13, 14, 15, 16, 17, 18, 19, 20], givenUp: 0 });
    expect(s.resumeCount).toBe(1);
    expect(s.pendingInputs).toBe(8);
    expect(s.inputPause(t + 120)).toBeNull();

    s.tick(t + 130, () => ({ dx: 0, dy: 1, buttons: 0 }));
    expect(sent.at(-1)![0]).toBe(21);
    // A later snapshot acknowledges nothing else: nothing is sent twice more.
    s.onSnapshot(snapshot(1402, 16, [entity(5, 1, server.x, server.y)]), t + 150);
    expect(sent.filter((m) => m[0] === 13)).toHaveLength(2);
  });

  it("keeps the predicted ship where the server has it plus the resent inputs", () => {
    const { s, sent, t } = played(10);
    s.resume(welcome);
    let server = { x: 800, y: 600 };
    for (const m of sent.slice(0, 4)) server = step(server, m[1], m[2], world, movement);
    s.onSnapshot(snapshot(1300, 4, [entity(5, 1, server.x, server.y)]), t);
    let predicted = entity(5, 1, server.x, server.y) as { x: number; y: number };
    for (const m of sent.slice(4, 10)) predicted = step(predicted, m[1], m[2], world, movement);
    const own = s.frame(t + 1000).entities.get(5)!;
    // Drawn between the last two predicted steps (the input clock restarted at the resume).
    const stepLen = movement.max_speed * movement.dt;
    expect(predicted.x - own.x).toBeGreaterThanOrEqual(-1e-3);
    expect(predicted.x - own.x).toBeLessThanOrEqual(stepLen + 1e-3);
    expect(own.y).toBeCloseTo(predicted.y, 3);
    expect(predicted.x).toBeGreaterThan(server.x + 5 * stepLen); // the resent inputs are predicted
  });

  it("resends nothing when the server applied everything", () => {
    const { s, sent, t } = played(6);
    s.resume(welcome);
    s.onSnapshot(snapshot(1300, 6, [entity(5, 1, 830, 600)]), t);
    expect(sent).toHaveLength(6);
    expect(s.lastResume).toEqual({ ack: 6, resent: [], givenUp: 0 });
  });

  it("resends at most maxResend (the newest), within the server's input burst", () => {
    expect(maxResendFor(60)).toBe(25);
    expect(maxResendFor(60)).toBeLessThan(60 / 2);
    expect(maxResendFor(30)).toBeLessThan(30 / 2);
    expect(maxResendFor(1)).toBe(1);
    const { s, sent, t } = played(100);
    s.resume(welcome);
    s.onSnapshot(snapshot(1300, 40, [entity(5, 1, 900, 600)]), t);
    const resent = sent.slice(100).map((m) => m[0]);
    expect(resent).toEqual(Array.from({ length: 25 }, (_, i) => 76 + i));
    expect(s.lastResume!.givenUp).toBe(35);
    expect(s.pendingInputs).toBe(25);
  });

  it("works across the seq wrap", () => {
    const p = new Predictor(world, movement);
    for (const seq of [0xffff_fffe, 0xffff_ffff, 0, 1, 2]) p.applyInput([seq, 1, 0, 0]);
    expect(p.retainAfter(0xffff_ffff, 25)).toBe(0);
    expect(p.pendingInputs.map((i) => i.seq)).toEqual([0, 1, 2]);
    expect(p.retainAfter(0xffff_fffe, 2)).toBe(1);
    expect(p.pendingInputs.map((i) => i.seq)).toEqual([1, 2]);
  });

  it("starts the roster over from the resumed welcome and keeps drawing the others", () => {
    const { s, t } = played(3);
    s.onJoined({ id: 11, name: "Grace" });
    const w: Welcome = { ...welcome, players: [{ id: 5, name: "Ada" }, { id: 12, name: "Hopper" }] };
    s.resume(w);
    expect([...s.names.entries()]).toEqual([
      [5, "Ada"],
      [12, "Hopper"],
    ]);
    s.onSnapshot(snapshot(2000, 3, [entity(5, 1, 830, 600), entity(12, 0x82, 400, 400)]), t);
    s.onSnapshot(snapshot(2002, 3, [entity(5, 1, 830, 600), entity(12, 0x82, 400, 400)]), t + 33);
    const other = s.frame(t + 300).entities.get(12)!;
    expect(other).toMatchObject({ kind: 2, away: true, own: false });
  });
});

describe("drawing across a resume", () => {
  it("keeps drawing the others where they were until the resumed snapshot", () => {
    const sent: InputMsg[] = [];
    const s = new GameSession(welcome, (m) => sent.push(m), { stallMs: Infinity, staticKinds: [3] });
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600), entity(9, 2, 300, 300), entity(300, 3, 50, 50)]), 0);
    s.onSnapshot(snapshot(1002, 0, [entity(5, 1, 800, 600), entity(9, 2, 300, 300), entity(300, 3, 50, 50)]), 33);
    const before = s.frame(300);
    expect([...before.entities.keys()].sort((a, b) => a - b)).toEqual([5, 9, 300]);
    s.resume(welcome);
    const during = s.frame(400);
    expect(during.entities.get(9)).toEqual(before.entities.get(9));
    expect(during.entities.get(300)).toEqual(before.entities.get(300));
    expect(during.entities.get(5)!.own).toBe(true);
    s.onSnapshot(snapshot(1300, 0, [entity(5, 1, 800, 600), entity(9, 0x82, 310, 300)]), 500);
    const after = s.frame(500);
    expect(after.entities.get(9)).toMatchObject({ away: true, kind: 2 });
    expect(after.entities.has(300)).toBe(false);
  });
});

describe("input pauses", () => {
  it("pauses input when no snapshot came for stallMs, and goes on without a backlog", () => {
    const sent: InputMsg[] = [];
    const s = new GameSession(welcome, (m) => sent.push(m), { stallMs: 300 });
    s.onSnapshot(snapshot(1000, 0, [entity(5, 1, 800, 600)]), 0);
    let t = 0;
    for (; t <= 290; t += TICK_MS) s.tick(t, () => ({ dx: 1, dy: 0, buttons: 0 }));
    const beforeStall = sent.length;
    expect(beforeStall).toBeGreaterThan(15);
    for (; t <= 2000; t += TICK_MS) s.tick(t, () => ({ dx: 1, dy: 0, buttons: 0 }));
    expect(s.inputPause(t)).toBe("stalled");
    expect(sent.length - beforeStall).toBeLessThanOrEqual(1);
    s.onSnapshot(snapshot(1200, 10, [entity(5, 1, 840, 600)]), t);
    expect(s.inputPause(t)).toBeNull();
    expect(s.tick(t + 1, () => ({ dx: 1, dy: 0, buttons: 0 }))).toBe(1); // one, not the 100 missed
  });
});
