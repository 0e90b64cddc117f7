#!/usr/bin/env bash
# Interleaved A/B comparison of two server builds under the same load.
#
#   scripts/ab.sh REV [ROUNDS] -- LOADTEST_ARGS...
#
# Builds the server at git revision REV (in a worktree under target/ab/) next to the working tree,
# then runs ROUNDS rounds (default 3) of both servers, alternating which goes first (A B, B A, ...).
# Each run starts a fresh server pinned to core 0 and the same `loadtest` (the working tree's) on
# core 1, and keeps its report. At the end it prints, per figure, both builds' median and range and
# the ratio of the medians (new / REV), and the server's OS thread count seen mid-run.
#
# Environment:
#   AB_SERVER_ARGS   flags for both servers (default: --max-rooms 0 --max-players 200)
#   AB_NEW_ARGS      extra flags for the working tree's server only (new options)
#   AB_OUT           where the reports and logs go (default: target/ab/runs-<time>)
#
# Example (CPU per player-second at 200 bots in one room, 3 rounds):
#   scripts/ab.sh main 3 -- --bots 200 --per-room 0 --duration 20s --ramp 5s --local-addrs 8
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() { echo "usage: scripts/ab.sh REV [ROUNDS] -- LOADTEST_ARGS..." >&2; exit 2; }
[ $# -ge 1 ] || usage
rev=$1; shift
rounds=3
if [ $# -ge 1 ] && [ "$1" != "--" ]; then rounds=$1; shift; fi
[ "${1:-}" = "--" ] && shift
loadtest_args=("$@")
sha=$(git rev-parse --verify "$rev^{commit}") || { echo "ab.sh: no such revision: $rev" >&2; exit 2; }
short=${sha:0:10}
server_args=(${AB_SERVER_ARGS:---max-rooms 0 --max-players 200})
new_args=(${AB_NEW_ARGS:-})
out=${AB_OUT:-$root/target/ab/runs-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$out"

echo "==> building the working tree (release)"
cargo build --release --locked -q -p tickstate-server --bin tickstate -p tickstate-benches --bin loadtest --bin ab-summary
new_bin=$root/target/release/tickstate
loadtest=$root/target/release/loadtest

echo "==> building $rev ($short) in target/ab/src-$short (release)"
src=$root/target/ab/src-$short
if [ ! -d "$src" ]; then
  git worktree add --detach -q "$src" "$sha"
fi
(cd "$src" && CARGO_TARGET_DIR=$root/target/ab/target-old cargo build --release --locked -q -p tickstate-server --bin tickstate)
old_bin=$root/target/ab/target-old/release/tickstate

pin_server=(); pin_bots=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0); pin_bots=(taskset -c 1)
else
  echo "NOTE: taskset or a second core is missing: the server and the bots are not pinned" >&2
fi

# run LABEL BIN [EXTRA_ARGS...]: one server, one loadtest, one report at $out/LABEL.json.
run() {
  local label=$1 bin=$2; shift 2
  : >"$out/$label.addr"
  "${pin_server[@]}" "$bin" --bind 127.0.0.1:0 --admin-bind 127.0.0.1:0 --client-dir /nonexistent \
    "${server_args[@]}" "$@" >"$out/$label.addr" 2>"$out/$label.server.log" &
  local pid=$!
  local i=0
  while ! grep -q '^admin listening on ' "$out/$label.addr"; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 $pid 2>/dev/null; then
      echo "ab.sh: the $label server did not start; see $out/$label.server.log" >&2
      kill $pid 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
  local url admin
  url=$(sed -n 's/^listening on //p' "$out/$label.addr")
  admin=$(sed -n 's/^admin listening on //p' "$out/$label.addr")
  # The thread count once the bots are in (half-way through the run, roughly).
  ( sleep "${AB_THREADS_AT:-15}"; awk '/^Threads:/ {print $2}' /proc/$pid/status >"$out/$label.threads" 2>/dev/null ) &
  local probe=$!
  local rc=0
  "${pin_bots[@]}" "$loadtest" --url "$url" --stats-url "$admin" --server-pid $pid -q --json \
    "${loadtest_args[@]}" >"$out/$label.json" 2>"$out/$label.err" || rc=$?
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  wait $probe 2>/dev/null || true
  echo "    $label: loadtest exit $rc, server threads $(cat "$out/$label.threads" 2>/dev/null || echo ?)"
}

for r in $(seq 1 "$rounds"); do
  echo "==> round $r of $rounds"
  if (( r % 2 )); then
    run "old-$r" "$old_bin"
    run "new-$r" "$new_bin" "${new_args[@]}"
  else
    run "new-$r" "$new_bin" "${new_args[@]}"
    run "old-$r" "$old_bin"
  fi
done

echo
echo "loadtest ${loadtest_args[*]}; servers: ${server_args[*]}; reports in $out"
"$root/target/release/ab-summary" --label-a "$short" --label-b new \
  --a "$out"/old-*.json --b "$out"/new-*.json | tee "$out/summary.md"
threads() { cat "$out"/$1-*.threads 2>/dev/null | tr '\n' ' '; }
echo "server OS threads mid-run: $short: $(threads old); new: $(threads new)" | tee -a "$out/summary.md"
