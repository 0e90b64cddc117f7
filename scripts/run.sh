#!/usr/bin/env bash
# Builds what is needed and runs the Tickstate server with the playable Phaser client.
#   ./scripts/run.sh                       # http://localhost:3000/
#   ./scripts/run.sh --bind 127.0.0.1:8080 # any `tickstate` flag is passed through
# Needs Rust (cargo) and Node.js >= 20 with npm. Everything else is installed from the registries.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' not found. $2" >&2; exit 1; }; }
need cargo "Install Rust from https://rustup.rs"
need npm "Install Node.js 20 or newer (with npm)"

client=client-phaser
if [ ! -d "$client/node_modules" ] || [ "$client/package-lock.json" -nt "$client/node_modules/.package-lock.json" ]; then
  echo "==> installing the client's npm packages"
  npm --prefix "$client" ci --no-audit --no-fund
fi
# Rebuild the client when any of its sources is newer than the last build.
if [ ! -f "$client/dist/index.html" ] || [ -n "$(find "$client/src" "$client/index.html" "$client/public" "$client/vite.config.ts" -newer "$client/dist/index.html" -print -quit 2>/dev/null)" ]; then
  echo "==> building the Phaser client"
  npm --prefix "$client" run build
fi
echo "==> building and starting the server (release)"
exec cargo run --release --locked -p tickstate-server --bin tickstate -- --client-dir "$client/dist" "$@"
