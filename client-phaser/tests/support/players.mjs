// Browser-test players: Debian's Chromium, and one context (own storage) and page per player,
// recording console and page errors.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

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

/** Headless Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`). */
export async function launchChromium() {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A fresh context with one page; console errors and page errors are pushed to `problems`. */
export async function newPlayer(browser, label, problems) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 780 } });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`[${label}] console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`[${label}] page error: ${err.message}`));
  return { context, page, label };
}

/** In the page: the game is connected and draws its own ship (pass to `page.waitForFunction`). */
export const ready = () => {
  const t = window.__tickstate;
  return !!t && t.connected && t.id !== null && t.rendered[t.id] !== undefined;
};

/**
 * Opens `url` in the player's page, enters `name` in the menu and presses Play; resolves with
 * `window.__tickstate` once the game is connected and draws its own ship. `onMenu(page)` runs once
 * the menu shows, before the name is entered (screenshots, room fields).
 */
export async function playFromMenu(player, url, name, { onMenu = async () => {}, timeout = 20_000 } = {}) {
  const { page } = player;
  await page.goto(url, { waitUntil: "load", timeout: Math.max(timeout, 30_000) });
  const input = page.locator("#name");
  await input.waitFor({ state: "visible", timeout });
  await onMenu(page);
  await input.fill(name);
  await page.locator("#play").click();
  await page.waitForFunction(ready, null, { timeout });
  return page.evaluate(() => window.__tickstate);
}

/** Records `rendered[id]` (or null) and the time on every animation frame for `ms` in the page. */
export function recordFrames(page, id, ms) {
  return page.evaluate(
    ([id, ms]) =>
      new Promise((resolve) => {
        const out = [];
        const t0 = performance.now();
        const frame = () => {
          const e = window.__tickstate?.rendered[id];
          const now = performance.now();
          // `at`: epoch ms (timeOrigin + now), comparable between the two pages.
          out.push({ t: now - t0, at: performance.timeOrigin + now, x: e ? e.x : null, y: e ? e.y : null });
          if (performance.now() - t0 < ms) requestAnimationFrame(frame);
          else resolve(out);
        };
        requestAnimationFrame(frame);
      }),
    [id, ms],
  );
}
