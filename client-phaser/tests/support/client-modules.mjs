// Loads the client's TypeScript modules (the tickstate-sdk package and Star Collector's rules) into
// Node tests: esbuild bundles them to one ES module in memory, so the Node tests run the very code
// the browser runs.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function loadClientModules() {
  const result = await build({
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
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}
