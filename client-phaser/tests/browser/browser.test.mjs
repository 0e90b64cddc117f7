// End-to-end: the built client (dist/) served by a real Tickstate server, two headless Chromium
// pages playing against each other. Needs /usr/bin/chromium (Debian's `chromium` package) and the
// server binary in TICKSTATE_BIN; `npm run test:browser` builds dist/ first.
//
// Screenshots go to test-artifacts/ (gitignored).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../support/server.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = `${root}dist`;
const artifacts = `${root}test-artifacts`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

let server;
let browser;
const problems = [];

/** A fresh context (own storage) with one page that records console errors and page errors. */
async function newPlayer(label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 780 } });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`[${label}] console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`[${label}] page error: ${err.message}`));
  return { context, page, label };
}

/** Goes through the menu: enters the name and presses Play; waits until the game is connected. */
async function join(player, name) {
  const { page } = player;
  await page.goto(server.url, { waitUntil: "load" });
  const input = page.locator("#name");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await page.screenshot({ path: `${artifacts}/menu-${player.label}.png` });
  await input.fill(name);
  await page.locator("#play").click();
  await page.waitForFunction(
    () => {
      const t = window.__tickstate;
      return !!t && t.connected && t.id !== null && t.rendered[t.id] !== undefined;
    },
    null,
    { timeout: 15_000 },
  );
  return page.evaluate(() => window.__tickstate.id);
}

const hook = (page) => page.evaluate(() => window.__tickstate);

before(async () => {
  assert.ok(existsSync(`${dist}/index.html`), "dist/ is missing: run `npm run build` first (npm run test:browser does)");
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(artifacts, { recursive: true });
  // A fixed seed gives the same spawn points every run (the first two players have open lanes).
  server = await startServer(["--client-dir", dist, "--seed", "7"]);
  // Playwright starts Chromium with a new, empty --user-data-dir of its own for each launch.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

after(async () => {
  await browser?.close();
  if (server) {
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, `server should exit 0 on SIGTERM; stderr:\n${server.stderr()}`);
  }
});

describe("Star Collector in the browser", () => {
  it("a ship driven in page A moves right in page B; closing A removes it from B", async () => {
    const a = await newPlayer("a");
    const b = await newPlayer("b");
    const idA = await join(a, "Alice");
    const idB = await join(b, "Bob");
    assert.notEqual(idA, idB);

    // B draws A's ship (interpolated).
    await b.page.waitForFunction((id) => window.__tickstate.rendered[id] !== undefined, idA, { timeout: 5000 });
    await sleep(300);
    const beforeB = (await hook(b.page)).rendered[idA];
    const beforeA = (await hook(a.page)).rendered[idA];
    assert.ok(beforeB.kind === 1 || beforeB.kind === 2, `A's ship should be kind 1 or 2, got ${beforeB.kind}`);

    await a.page.bringToFront();
    await a.page.keyboard.down("ArrowRight");
    await sleep(1000);
    await a.page.screenshot({ path: `${artifacts}/game-a-moving.png` });
    await a.page.keyboard.up("ArrowRight");
    await sleep(600); // B draws ~2 snapshot intervals in the past, plus the network
    const afterA = (await hook(a.page)).rendered[idA];
    const afterB = (await hook(b.page)).rendered[idA];
    await b.page.screenshot({ path: `${artifacts}/game-b-sees-a.png` });

    const movedA = afterA.x - beforeA.x;
    const movedB = afterB.x - beforeB.x;
    assert.ok(movedA > 30, `A should see its own ship move right (moved ${movedA}); blocked by a wall?`);
    assert.ok(movedB > 30, `B should see A's ship move right: ${beforeB.x} -> ${afterB.x}`);
    assert.ok(Math.abs(afterB.y - beforeB.y) < 1, "holding ArrowRight should not move along y");
    assert.ok(Math.abs(afterA.x - afterB.x) < 2, `once A stops, both pages should agree: A ${afterA.x}, B ${afterB.x}`);
    // Star Collector's max_speed is 260 units/s (the compat test checks speed limits exactly).
    assert.ok(movedB <= 260 * 1.6, `moved ${movedB} in ~1 s, more than the speed limit allows`);
    // B draws itself too, and A sees B.
    assert.ok((await hook(b.page)).rendered[idB], "B should draw its own ship");
    assert.ok((await hook(a.page)).rendered[idB], "A should draw B's ship");
    const stars = Object.values((await hook(b.page)).rendered).filter((e) => e.kind === 3);
    assert.ok(stars.length > 0, "stars should be drawn");

    // A leaves: its ship disappears from B.
    await a.context.close();
    await b.page.waitForFunction((id) => window.__tickstate.rendered[id] === undefined, idA, { timeout: 5000 });
    await b.page.screenshot({ path: `${artifacts}/game-b-after-a-left.png` });
    await b.context.close();

    assert.deepEqual(problems, [], "no console errors or page errors");
  });
});
