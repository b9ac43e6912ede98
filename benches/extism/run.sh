#!/usr/bin/env bash
# plinth's sandbox against Extism, side by side (benches/extism.rs), then
# the medians and the ratios. Run by hand, never by CI: it builds a second
# wasmtime (Extism's) in release mode, which takes a while.
#
# 1. The plinth echo guest (guests/echo/echo.wasm): guests/build.sh when it
#    is missing (that also installs Debian's Rust for wasm when missing).
# 2. The Extism echo plug-in (echo-plugin/echo.wasm): built from its
#    source when missing or older than it, for wasm32-unknown-unknown with
#    Debian's Rust (rustc-web), exactly as guests/build.sh builds the
#    guests' core modules.
# 3. cargo bench (its own workspace, target dir ./target); arguments are
#    passed on to the bench binary (e.g. a filter: ./run.sh hook_call).
#
# Works from any directory. CARGO_BUILD_JOBS limits the parallel jobs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
plugin="$here/echo-plugin"
target=wasm32-unknown-unknown

say() { printf 'benches/extism/run.sh: %s\n' "$*" >&2; }

# --- 1. plinth's echo guest ---------------------------------------------------

if [[ ! -f $root/guests/echo/echo.wasm ]]; then
  say "guests/echo/echo.wasm is missing: running guests/build.sh"
  "$root/guests/build.sh"
fi

# --- 2. the Extism echo plug-in -----------------------------------------------

stale=0
if [[ ! -f $plugin/echo.wasm ]]; then
  stale=1
else
  for source in "$plugin/Cargo.toml" "$plugin/Cargo.lock" "$plugin"/src/*.rs; do
    if [[ $source -nt $plugin/echo.wasm ]]; then stale=1; fi
  done
fi

rustc=/usr/bin/rustc
cargo=/usr/bin/cargo
wasm_ld=$(command -v wasm-ld-16 || echo /usr/lib/llvm-16/bin/wasm-ld)
if ((stale)) && [[ ! -x $rustc || ! -x $cargo || ! -x $wasm_ld ]]; then
  if [[ ! -f $plugin/echo.wasm ]]; then
    say "Debian's rustc-web, cargo-web and lld-16 are needed (guests/build.sh installs them)"
    exit 1
  fi
  say "no Debian Rust for wasm: using the committed echo-plugin/echo.wasm"
  stale=0
fi

if ((stale)); then
  std_src="$("$rustc" --print sysroot)/lib/rustlib/src/rust/library"
  say "building the Extism echo plug-in with $("$rustc" --version)"
  # No machine-specific paths in the module, as in guests/build.sh.
  cargo_home="${CARGO_HOME:-$HOME/.cargo}"
  sep=$'\x1f'
  remap="--remap-path-prefix=$plugin=/plinth/benches/extism/echo-plugin"
  remap+="$sep--remap-path-prefix=$cargo_home/registry/src=/cargo/registry/src"
  remap+="$sep--remap-path-prefix=$std_src=/rust/library"
  env -u RUSTFLAGS -u CARGO_BUILD_TARGET -u RUSTC_WRAPPER \
    -u CARGO_BUILD_RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER \
    RUSTC="$rustc" RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$wasm_ld" \
    CARGO_ENCODED_RUSTFLAGS="$remap" \
    "$cargo" build --release --locked \
    --manifest-path "$plugin/Cargo.toml" --target-dir "$plugin/target" \
    --target "$target" -Zbuild-std=std,panic_abort
  cp "$plugin/target/$target/release/extism_echo.wasm" "$plugin/echo.wasm"
  say "$(wc -c <"$plugin/echo.wasm") bytes: benches/extism/echo-plugin/echo.wasm"
fi

# --- 3. the benchmark ---------------------------------------------------------

results="$here/target/criterion"
rm -rf "$results/hook_call" "$results/cached_load_to_first_call"
# RUST_LIB_BACKTRACE=0: no backtrace captured for errors made and dropped,
# whatever RUST_BACKTRACE says (panics keep theirs). Extism asks the store
# for its fuel on every call, which without fuel is an error; under
# RUST_BACKTRACE=1 that error captured a backtrace and made each Extism call
# about three times slower.
env -u CARGO_TARGET_DIR -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u RUSTC \
  RUST_LIB_BACKTRACE=0 \
  cargo bench --locked --manifest-path "$here/Cargo.toml" --target-dir "$here/target" \
  --bench extism -- "$@"

# --- the medians and the ratios -----------------------------------------------

# criterion's estimates: target/criterion/GROUP/NAME/new/estimates.json.
median() {
  local file="$results/$1/new/estimates.json"
  [[ -f $file ]] || return 0
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$file"
}

human() {
  python3 -c '
import sys
ns = float(sys.argv[1])
for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
    if ns >= size:
        print(f"{ns / size:.3f} {unit}")
        break
else:
    print(f"{ns:.1f} ns")' "$1"
}

echo
echo "Medians (criterion, $(date -u +%Y-%m-%d); $(nproc) cores, load average now: $(cut -d' ' -f1-3 /proc/loadavg)):"
for bench in \
  hook_call/plinth_filter_hook_value \
  hook_call/plinth_filter_hook_raw_json \
  hook_call/extism_call_str \
  hook_call/extism_call_bytes \
  cached_load_to_first_call/plinth_plugin_start \
  cached_load_to_first_call/extism_new_from_compiled; do
  ns=$(median "$bench")
  [[ -n $ns ]] && printf '  %-52s %12s\n' "$bench" "$(human "$ns")"
done

# ratio PLINTH EXTISM GOAL: how many times faster plinth is, and the goal.
ratio() {
  local plinth extism
  plinth=$(median "$1")
  extism=$(median "$2")
  [[ -n $plinth && -n $extism ]] || return 0
  python3 -c '
import sys
plinth, extism, goal = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
r = extism / plinth
verdict = "met" if r >= goal else "NOT met"
speed = f"{r:6.2f}x faster" if r >= 1 else f"{1 / r:6.2f}x slower"
print(f"  {sys.argv[4]:<28} vs {sys.argv[5]:<25} plinth {speed}  (goal {goal:g}x faster: {verdict})")' \
    "$plinth" "$extism" "$3" "${1#*/}" "${2#*/}"
}

echo
echo "Ratios (Extism's median / plinth's):"
ratio hook_call/plinth_filter_hook_value hook_call/extism_call_str 10
ratio hook_call/plinth_filter_hook_raw_json hook_call/extism_call_str 10
ratio hook_call/plinth_filter_hook_value hook_call/extism_call_bytes 10
ratio hook_call/plinth_filter_hook_raw_json hook_call/extism_call_bytes 10
ratio cached_load_to_first_call/plinth_plugin_start cached_load_to_first_call/extism_new_from_compiled 5
