/** Reads the golden protocol files shared with the Rust side (`shared/tests/fixtures/`). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../../../shared/tests/fixtures/", import.meta.url));

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(dir + name + ".msgpack"));
}

export function fixtureJson<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(dir + name + ".json", "utf8")) as T;
}
