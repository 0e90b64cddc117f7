// Loads the client's TypeScript modules (the tickstate-sdk package and Star Collector's rules) into
// Node tests: esbuild bundles them to one ES module, so the Node tests run the very code the
// browser runs. npm packages stay external (the SDK imports socket.io-client, whose Node build
// needs `require`); the bundle is written under node_modules/.cache so that they resolve from there.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function loadClientModules() {
  const dir = `${root}node_modules/.cache/tickstate-tests`;
  mkdirSync(dir, { recursive: true });
  const outfile = `${dir}/client-${process.pid}.mjs`;
  await build({
    stdin: {
      contents: `
        export * from "tickstate-sdk";
        export { decodeScores, Kinds, SCHEMA, GAME, teamOf } from "./src/games/star-collector";
      `,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    external: ["@msgpack/msgpack", "socket.io-client", "socket.io-msgpack-parser"],
    outfile,
    logLevel: "silent",
  });
  return import(pathToFileURL(outfile).href);
}
