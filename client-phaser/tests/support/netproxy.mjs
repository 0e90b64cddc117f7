// Starts testkit's `netproxy` (a TCP proxy with delay, in-order jitter, stalls, a bandwidth cap)
// in front of a server, and stops it by PID. The binary comes from env TICKSTATE_NETPROXY_BIN
// (`cargo build -p tickstate-testkit --bin netproxy`); without it, the workspace's
// target/{debug,release}/netproxy is used if present.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

function proxyBinary() {
  const fromEnv = process.env.TICKSTATE_NETPROXY_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TICKSTATE_NETPROXY_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const p of [`${repo}target/debug/netproxy`, `${repo}target/release/netproxy`]) {
    if (existsSync(p)) return p;
  }
  throw new Error("set TICKSTATE_NETPROXY_BIN to the built netproxy (cargo build -p tickstate-testkit --bin netproxy)");
}

/**
 * @param {string} upstream the server's URL, e.g. http://127.0.0.1:3000
 * @param {string} conditions e.g. "delay=80ms,jitter=30ms,stall=500ms/10s"
 * @returns {Promise<{ url: string, stats: () => Record<string, number>, stop: () => Promise<void> }>}
 */
export async function startNetProxy(upstream, conditions) {
  const child = spawn(proxyBinary(), [upstream, conditions], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let latest = {};
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((resolve) => {
    lines.on("line", (l) => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(l);
      if (m) resolve(m[1]);
      if (l.startsWith("stats ")) {
        latest = Object.fromEntries(
          l
            .slice(6)
            .split(" ")
            .map((kv) => kv.split("="))
            .map(([k, v]) => [k, Number(v)]),
        );
      }
    });
  });
  let timer;
  const url = await Promise.race([
    first,
    exited.then((e) => {
      throw new Error(`netproxy exited (${JSON.stringify(e)}): ${stderr}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`netproxy did not start in 10 s: ${stderr}`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    url,
    stats: () => latest,
    stop: async () => {
      child.stdin.end();
      child.kill("SIGTERM");
      await exited;
    },
  };
}
