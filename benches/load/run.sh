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
# loadgen, one thread, busy-polling: it keeps core 1 busy) to core 1;
# then throughput, p50/p90/p99, the servers' CPU per request and the
# ratios against the goals (plinth >= 0.8x bare axum's throughput, p99 <=
# 1.5x bare axum's, throughput >= 5x Express's).
#
#   benches/load/run.sh            (from anywhere; not part of CI)
#
# Env: ROUNDS (default 5: the servers take turns, and the report gives
# each one's medians), SECONDS_EACH (measured seconds per server and round,
# default 5), WARMUP (before a server's first round, default 3; 1 before
# the others), CONNECTIONS (default 32), CLIENT (busy, the default: the
# generator spins on its sockets and never sleeps; or hyper),
# CARGO_BUILD_JOBS (default 1), KEEP=dir (keep the results and the
# servers' logs there; never the audit logs, about a gigabyte a run).
# Every run is bounded in time and sends traffic to 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${SECONDS_EACH:-5}"
rounds="${ROUNDS:-5}"
warmup="${WARMUP:-3}"
connections="${CONNECTIONS:-32}"
out="${KEEP:-$(mktemp -d)}"
# The servers' audit logs (about a gigabyte a run) go here, deleted even
# when KEEP keeps the results.
scratch="$(mktemp -d)"
mkdir -p "$out"
trap 'rm -rf "$scratch"; [ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT

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

declare -A pids bases
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap 'stop_servers; rm -rf "$scratch"; [ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT

# Starts "$@" pinned to core 0 as server $1, its first stdout line naming
# its address, and waits until the path $2 answers.
start_server() {
  local name="$1" ready="$2"
  shift 2
  taskset -c 0 "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" &
  pids[$name]=$!
  local base=""
  for _ in $(seq 1 300); do
    base="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out/$name.stdout" | head -n 1 || true)"
    [ -n "$base" ] && break
    kill -0 "${pids[$name]}" 2>/dev/null || { cat "$out/$name.stderr" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$base" ] || { echo "$name never printed its address" >&2; exit 1; }
  bases[$name]="$base"
  for _ in $(seq 1 300); do
    if curl -sf --noproxy '*' -o /dev/null "$base$ready"; then return; fi
    sleep 0.1
  done
  echo "$name never became ready" >&2
  exit 1
}

measure() {
  local name="$1" warm="$2" round="$3"
  echo "== $name, round $round: ${warm}s warm-up, ${seconds}s measured, $connections connections"
  taskset -c 1 "$bin/loadgen" run --name "$name" --url "${bases[$name]}/api/users/ada/action" \
    --connections "$connections" --warmup "$warm" --seconds "$seconds" --server-pid "${pids[$name]}" \
    --client "${CLIENT:-busy}" \
    | tee -a "$out/results.jsonl"
}

: >"$out/results.jsonl"

# The limiter must not refuse the benchmark's requests (one client address),
# and the audit logs go to the scratch folder.
limit='"rate-limiter": { "windowMs": 60000, "maxRequests": 1000000000 }'
# The app's sandboxed rate limiter too.
wasm_limit='"rate-limiter-wasm": { "windowMs": 60000, "maxRequests": 1000000000 }'
echo "{ \"plugins\": { $limit, $wasm_limit } }" >"$out/plinth.json"
echo "{ \"auditLogger\": { \"path\": \"$scratch/express-audit.log\" }, \"plugins\": { $limit } }" >"$out/express.json"

# The same four plugins as the Express app: the app's plugin folder (its
# sandboxed duplicates of the audit logger and rate limiter) is left out
# unless SANDBOXED=1 asks for them on the path too.
plugin_dir="$out/no-plugin-folder"
mkdir -p "$plugin_dir"
if [ "${SANDBOXED:-0}" = 1 ]; then plugin_dir="$root/examples/app/plugins"; fi
AUDIT_LOG="$scratch/plinth-audit.log" PLINTH_ADMIN_TOKEN=load-benchmark-token \
  start_server plinth /readyz "$bin/app" --port 0 --config "$out/plinth.json" --plugins "$plugin_dir"
start_server axum /healthz "$bin/bare-axum" --port 0
start_server express /healthz node "$here/express/server.js" --port 0 --config "$out/express.json"

# Rounds interleave the servers (an idle one costs nothing), so that
# whatever else runs on the machine weighs on each alike; the report takes
# each one's medians.
for round in $(seq 1 "$rounds"); do
  for name in plinth axum express; do
    if [ "$round" = 1 ]; then warm="$warmup"; else warm=1; fi
    measure "$name" "$warm" "$round"
  done
done
stop_servers

echo
"$bin/loadgen" report "$out/results.jsonl"
