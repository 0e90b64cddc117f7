// Browser-test players: one context (own storage) and page each, recording console and page errors.

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
