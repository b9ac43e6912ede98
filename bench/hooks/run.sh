#!/usr/bin/env bash
# Runs both sides of the plinth-hooks benchmarks and prints the ratios:
#   bench/hooks/run.sh            (from anywhere)
# Env: MEASURE=seconds per criterion benchmark (default 3), WARMUP (default 1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== npm install (tapable)"
(cd "$here" && npm install --no-audit --no-fund --silent)

echo "== node baseline"
node "$here/bench.js" | tee "$out/node.json"

echo "== cargo bench -p plinth-hooks"
(cd "$root" && cargo bench -p plinth-hooks --bench hooks -- \
  --warm-up-time "${WARMUP:-1}" --measurement-time "${MEASURE:-3}" --noplot)

target="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
node "$here/ratios.js" "$out/node.json" "$target/criterion"
