// Starts a real Tickstate server for the Node tests and stops it by PID.
//
// The binary comes from env TICKSTATE_BIN (the built `tickstate`); without it, the workspace's
// target/{release,debug}/tickstate is used if present. Another binary that takes the same flags
// and prints the same lines (a fixture such as `examples/skirmish`, see `fixtureBinary`) goes in
// `options.bin`. The server binds 127.0.0.1:0 for the game port and, unless `extraArgs` names
// `--admin-bind`, for the operator endpoints (`/stats`, `/stats/clients`, `/metrics`) too; it
// prints `listening on http://127.0.0.1:PORT` and then `admin listening on http://127.0.0.1:PORT`
// (or `admin off`) on stdout.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

export function serverBinary() {
  const fromEnv = process.env.TICKSTATE_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TICKSTATE_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const p of [`${repo}target/release/tickstate`, `${repo}target/debug/tickstate`]) {
    if (existsSync(p)) return p;
  }
  throw new Error("set TICKSTATE_BIN to the built tickstate binary (cargo build --bin tickstate)");
}

/**
 * A fixture server binary named by env `envName`. Throws (the test fails, it is not skipped) when
 * the variable is unset or names no file, saying how to build it with `build`.
 */
export function fixtureBinary(envName, build) {
  const bin = process.env[envName];
  if (!bin) throw new Error(`set ${envName} to the built fixture server: ${build}`);
  if (!existsSync(bin)) throw new Error(`${envName}=${bin} does not exist: ${build}`);
  return bin;
}

/**
 * @param {string[]} extraArgs more CLI flags, e.g. ["--client-dir", dir]
 * @param {string} bind address to bind; port 0 picks a free port
 * @param {{ bin?: string }} options `bin`: the server binary (default {@link serverBinary})
 * @returns {Promise<{ url: string, adminUrl: string | null, pid: number, stderr: () => string, stop: () => Promise<{code: number|null, signal: string|null}> }>}
 *   `url` is the game port, `adminUrl` the operator port (`null` with `--admin-bind off`).
 */
export async function startServer(extraArgs = [], bind = "127.0.0.1:0", options = {}) {
  const bin = options.bin ?? serverBinary();
  const admin = extraArgs.includes("--admin-bind") ? [] : ["--admin-bind", "127.0.0.1:0"];
  const child = spawn(bin, ["--bind", bind, ...admin, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const lines = createInterface({ input: child.stdout });
  const twoLines = new Promise((resolve) => {
    const got = [];
    lines.on("line", (l) => {
      got.push(l); // later lines (none expected) are drained the same way
      if (got.length === 2) resolve(got);
    });
  });
  let timer;
  const [first, second] = await Promise.race([
    twoLines,
    exited.then((e) => {
      throw new Error(`server exited before listening (${JSON.stringify(e)}):\n${stderr}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server did not print its addresses in 10 s:\n${stderr}`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/.exec(String(first));
  const a = /^admin listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/.exec(String(second));
  if (!m || (!a && String(second).trim() !== "admin off")) {
    child.kill("SIGKILL");
    throw new Error(`unexpected stdout lines: ${JSON.stringify([first, second])}`);
  }
  return {
    url: m[1],
    adminUrl: a ? a[1] : null,
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGTERM");
      const timeout = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const result = await exited;
      clearTimeout(timeout);
      return result;
    },
  };
}
