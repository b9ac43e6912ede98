#!/usr/bin/env bash
# The load benchmark: POST /api/users/{id}/action on loopback against
#   plinth   the example app (crates' request hooks, its four plugins, the
#            admin API and metrics, all on),
#   axum     the same route in bare axum, no plugins (benches/load's
#            bare-axum),
#   express  the tutorial's Express app in Node (HookRegistry,
#            PluginManager, MessageBus, the same four plugins in
#            JavaScript), installed with `npm ci` from the committed lock,
# each server pinned to core 0 and the load generator (benches/load's
# loadgen, one thread) to core 1; then throughput, p50/p90/p99 and the
# ratios against the goals (plinth >= 0.8x bare axum's throughput, p99 <=
# 1.5x bare axum's, throughput >= 5x Express's).
#
#   benches/load/run.sh            (from anywhere; not part of CI)
#
# Env: SECONDS_EACH (measured seconds per server, default 10), WARMUP
# (default 3), CONNECTIONS (default 32), CARGO_BUILD_JOBS (default 1),
# KEEP=dir (keep the results and the servers' logs there).
# Every run is bounded in time and sends traffic to 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${SECONDS_EACH:-10}"
warmup="${WARMUP:-3}"
connections="${CONNECTIONS:-32}"
out="${KEEP:-$(mktemp -d)}"
mkdir -p "$out"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$out"' EXIT

command -v taskset >/dev/null || { echo "taskset (util-linux) is needed" >&2; exit 1; }
command -v node >/dev/null || { echo "node is needed for the Express baseline" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
  echo "two cores are needed: one for the servers, one for the generator" >&2
  exit 1
fi

echo "== building (release)"
(cd "$root" && CARGO_INCREMENTAL=0 cargo build --release -j "${CARGO_BUILD_JOBS:-1}" \
  -p plinth-example-app --bin app -p plinth-load-bench --bins)
target="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
bin="$target/release"

echo "== npm ci (express, from the committed package-lock.json)"
(cd "$here/express" && npm ci --no-audit --no-fund --silent)

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT

# Starts "$@" pinned to core 0, its first stdout line naming its address;
# sets $base.
start_server() {
  local name="$1"
  shift
  taskset -c 0 "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" &
  server_pid=$!
  base=""
  for _ in $(seq 1 300); do
    base="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out/$name.stdout" | head -n 1 || true)"
    [ -n "$base" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/$name.stderr" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$base" ] || { echo "$name never printed its address" >&2; exit 1; }
  for _ in $(seq 1 300); do
    if curl -sf --noproxy '*' -o /dev/null "$base$READY_PATH"; then return; fi
    sleep 0.1
  done
  echo "$name never became ready" >&2
  exit 1
}

measure() {
  local name="$1"
  echo "== $name: ${warmup}s warm-up, ${seconds}s measured, $connections connections"
  taskset -c 1 "$bin/loadgen" run --name "$name" --url "$base/api/users/ada/action" \
    --connections "$connections" --warmup "$warmup" --seconds "$seconds" --server-pid "$server_pid" \
    | tee -a "$out/results.jsonl"
}

: >"$out/results.jsonl"

# The limiter must not refuse the benchmark's requests (one client address),
# and the audit log goes to the scratch folder.
cat >"$out/plinth.json" <<EOF
{ "plugins": { "rate-limiter": { "windowMs": 60000, "maxRequests": 1000000000 } } }
EOF
READY_PATH=/readyz
AUDIT_LOG="$out/plinth-audit.log" PLINTH_ADMIN_TOKEN=load-benchmark-token \
  start_server plinth "$bin/app" --port 0 --config "$out/plinth.json"
measure plinth
stop_server

READY_PATH=/healthz
start_server axum "$bin/bare-axum" --port 0
measure axum
stop_server

cat >"$out/express.json" <<EOF
{ "auditLogger": { "path": "$out/express-audit.log" },
  "plugins": { "rate-limiter": { "windowMs": 60000, "maxRequests": 1000000000 } } }
EOF
READY_PATH=/healthz
start_server express node "$here/express/server.js" --port 0 --config "$out/express.json"
measure express
stop_server

echo
"$bin/loadgen" report "$out/results.jsonl"
