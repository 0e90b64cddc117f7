#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS_PER_TARGET seconds (default 10) on stable Rust
# (`--sanitizer none`), and fails if any target finds a crash. CI runs `scripts/fuzz.sh 5`.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Each target starts from its committed seeds (fuzz/seeds/<target>/) and grows a local corpus in
# fuzz/corpus/<target>/ (not committed). A crash leaves its input in fuzz/artifacts/<target>/; see
# FUZZING.md for how to reproduce and minimise it.
set -euo pipefail

secs="${1:-10}"
shift || true
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "== building fuzz targets (release, --sanitizer none)"
start=$(date +%s)
cargo fuzz build --sanitizer none
echo "== built in $(($(date +%s) - start)) s"

failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    echo "== $t: ${secs} s"
    # -rss_limit_mb guards against a decoder that allocates what a length prefix claims.
    if ! cargo fuzz run "$t" --sanitizer none "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1; then
        echo "!! $t failed: see fuzz/artifacts/$t/" >&2
        failed+=("$t")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing found failures in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets ran ${secs} s each, no crash"
