#!/usr/bin/env bash
# Runs plinth's extension benchmark and js-plugins' on the same generated
# folders, and prints the ratios. Needs cargo, node and npm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

(cd "$here" && npm install --no-audit --no-fund --loglevel=error)
(cd "$root" && PLINTH_BENCH_DIR="$tree" cargo bench -p plinth-extensions --bench extensions -- \
    --warm-up-time 1 --measurement-time 3)
node "$here/bench.js" "$tree/plugins" "$target/criterion"
