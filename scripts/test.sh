#!/usr/bin/env bash
# Runs the whole test suite: Rust checks and tests, the client's and its SDK's typecheck and unit tests, the
# compatibility test with the real socket.io-client, and the browser test in headless Chromium.
# Installs what the tests need (npm packages; Debian's chromium when it is missing).
#   ./scripts/test.sh            # everything
#   SKIP_BROWSER=1 ./scripts/test.sh   # everything but the browser test (says so at the end)
#   SKIP_FUZZ=1 ./scripts/test.sh      # everything but the short fuzz run (says so at the end)
#   FUZZ_SECONDS=60 ./scripts/test.sh  # a longer fuzz run per target (default 3 s)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$(date +%s)
step() { echo; echo "==> $* ($(( $(date +%s) - started ))s)"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --locked --workspace

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps

step "generated TypeScript is up to date (tickstate codegen --check)"
cargo run --locked -q -p tickstate-server --bin tickstate -- codegen --check

step "benches compile"
cargo bench --locked --workspace --no-run

step "client: npm ci"
npm --prefix client-phaser ci --no-audit --no-fund

step "client: typecheck (the game and the tickstate-sdk workspace package)"
npm --prefix client-phaser run typecheck

step "client: unit tests (the game's, then tickstate-sdk's: golden fixtures, codec, prediction, resume)"
npm --prefix client-phaser test

cargo build --locked -p tickstate-server --bin tickstate --example skirmish -p tickstate-testkit --bin netproxy
export TICKSTATE_BIN="$PWD/target/debug/tickstate"
# testkit's network-conditions proxy, for the browser test through a bad network.
export TICKSTATE_NETPROXY_BIN="$PWD/target/debug/netproxy"
# Skirmish (server/tests/common/skirmish.rs) hosted by a test-fixture example, for the SDK's
# game-defined-state test (tests/compat/skirmish.test.mjs).
export TICKSTATE_SKIRMISH_BIN="$PWD/target/debug/examples/skirmish"

step "client: compatibility test (socket.io-client + msgpack parser against the real server and the Skirmish fixture)"
npm --prefix client-phaser run test:compat

if [ "${SKIP_BROWSER:-}" = "1" ]; then
  echo; echo "NOTE: SKIP_BROWSER=1: the browser test was NOT run."
else
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's chromium for the browser test"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  fi
  step "client: browser test (headless Chromium, two pages)"
  npm --prefix client-phaser run test:browser
fi

if [ "${SKIP_FUZZ:-}" = "1" ]; then
  echo; echo "NOTE: SKIP_FUZZ=1: the fuzz targets were NOT run."
else
  step "fuzz: every target for ${FUZZ_SECONDS:-3} s (installs cargo-fuzz on first use)"
  ./scripts/fuzz.sh "${FUZZ_SECONDS:-3}"
fi

step "all tests passed"
