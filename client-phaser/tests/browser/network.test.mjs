// Star Collector through a bad network: both pages reach the server through testkit's netproxy at
// 80 ms ± 30 ms one way (the jitter keeps bytes in order, so late bytes arrive in bursts) with a
// 500 ms stall every 10 s on each connection, at a random phase per connection. A flies down and
// up for 14 s, so every connection stalls at least once while A moves; B's rendered A, sampled on
// every animation frame, may turn only where A turned: never against A's direction of travel,
// after a stall included (once A has stopped for good, B may take back what it extrapolated past
// the stop). Properties, not timings: they hold on a busy machine.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { startNetProxy } from "../support/netproxy.mjs";
import { launchChromium, newPlayer, playFromMenu, recordFrames } from "../support/players.mjs";
import { startServer } from "../support/server.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = `${root}dist`;
const artifacts = `${root}test-artifacts`;
const CONDITIONS = "delay=80ms,jitter=30ms,stall=500ms/10s";
// Quantization is 1/65535 of the world per axis; more than this against the travel is a step back.
const BACK_EPSILON = 0.5;
const LEGS = 10;
const LEG_MS = 900;
const PAUSE_MS = 500;

let server;
let proxy;
let browser;
const problems = [];

async function join(player, name) {
  return (await playFromMenu(player, proxy.url, name)).id;
}

/** y of entity `id` on every animation frame it is drawn on, for `ms`, in the page. */
async function recordY(page, id, ms) {
  return (await recordFrames(page, id, ms)).filter((f) => f.y !== null);
}

/**
 * Where a trace changes direction, with hysteresis: a turn is counted when the value comes back
 * more than `eps` from the furthest point of the current run.
 */
function turns(trace, eps) {
  const out = [];
  let dir = 0;
  let lo = trace[0]?.y;
  let hi = lo;
  let ext = lo;
  for (const f of trace) {
    if (dir === 0) {
      lo = Math.min(lo, f.y);
      hi = Math.max(hi, f.y);
      if (hi - lo > eps) {
        dir = f.y === hi ? 1 : -1;
        ext = f.y;
      }
    } else if (dir === 1) {
      if (f.y > ext) ext = f.y;
      else if (f.y < ext - eps) {
        out.push({ t: Math.round(f.t), y: +f.y.toFixed(1), was: "down" });
        dir = -1;
        ext = f.y;
      }
    } else if (f.y < ext) ext = f.y;
    else if (f.y > ext + eps) {
      out.push({ t: Math.round(f.t), y: +f.y.toFixed(1), was: "up" });
      dir = 1;
      ext = f.y;
    }
  }
  return out;
}

before(async () => {
  assert.ok(existsSync(`${dist}/index.html`), "dist/ is missing: run `npm run build` first (npm run test:browser does)");
  mkdirSync(artifacts, { recursive: true });
  server = await startServer(["--client-dir", dist, "--seed", "11"]);
  proxy = await startNetProxy(server.url, CONDITIONS);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await proxy?.stop();
  if (server) await server.stop();
});

describe(`Star Collector through ${CONDITIONS}`, () => {
  it("B's view of A turns only where A turned, stalls included", { timeout: 120_000 }, async () => {
    const a = await newPlayer(browser, "A", problems);
    const b = await newPlayer(browser, "B", problems);
    const idA = await join(a, "Ada");
    await join(b, "Bob");
    await b.page.waitForFunction((id) => window.__tickstate.rendered[id] !== undefined, idA, { timeout: 20_000 });
    await sleep(1100); // a first stats line from the proxy
    const stalledBefore = proxy.stats().stalled ?? 0;

    // Down and up with a pause in between: 10 legs, 14 s (over the 10 s stall period, so each
    // connection's stall falls inside). The ship stays within a band of about 230 units.
    const ms = LEGS * (LEG_MS + PAUSE_MS) + 1500;
    const seenByB = recordY(b.page, idA, ms);
    const seenByA = recordY(a.page, idA, ms);
    const startedAt = performance.now();
    let lastUp = 0;
    for (let i = 0; i < LEGS; i++) {
      const key = i % 2 === 0 ? "ArrowDown" : "ArrowUp";
      await a.page.keyboard.down(key);
      await sleep(LEG_MS);
      await a.page.keyboard.up(key);
      lastUp = performance.now() - startedAt;
      await sleep(PAUSE_MS);
    }
    const [fb, fa] = await Promise.all([seenByB, seenByA]);
    await sleep(1100); // the proxy's next stats line
    const stalled = (proxy.stats().stalled ?? 0) - stalledBefore;
    const turnsA = turns(fa, BACK_EPSILON);
    const net = await b.page.evaluate(() => window.__tickstate.net);
    // Once A has stopped for good, B may take back the little it extrapolated past the stop (the
    // SDK fades it back after 100 ms still; between legs that fade merges with the next turn).
    // B shows A's last release at least 80 ms (one way) plus its interpolation delay after it.
    const settled = lastUp + 80 + net.delayMs;
    const turnsB = turns(fb, BACK_EPSILON).filter((t) => t.t <= settled);
    writeFileSync(`${artifacts}/network-frames.json`, JSON.stringify({ a: fa, b: fb, stalled, turnsA, turnsB, lastUp, settled }));
    await b.page.screenshot({ path: `${artifacts}/network-b.png` });

    assert.ok(fb.length > 100, `B should draw A on many frames (${fb.length})`);
    assert.ok(stalled > 0, "the proxy should have held bytes back in a stall during the run");
    // A's own (predicted) ship turns at every leg but the first (a wall may swallow a leg, for
    // both views alike). B must add no turns of its own: each would be a step against A's travel.
    assert.ok(turnsA.length >= 3, `A should have turned several times: ${JSON.stringify(turnsA)}`);
    assert.ok(
      turnsB.length <= turnsA.length,
      `B's view of A turned ${turnsB.length} times, A only ${turnsA.length}: B ${JSON.stringify(turnsB)} A ${JSON.stringify(turnsA)}`,
    );
    writeFileSync(`${artifacts}/network-net-b.json`, JSON.stringify(net, null, 2));
    assert.ok(net.rttMs === null || net.rttMs > 100, `B's ping should show the 2 × 80 ms delay (${net.rttMs})`);
    await a.context.close();
    await b.context.close();
  });

  it("no console errors and no page errors", () => {
    assert.deepEqual(problems, []);
  });
});
