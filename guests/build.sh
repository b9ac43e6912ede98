#!/usr/bin/env bash
# Builds every guest plugin in guests/ from source into a WebAssembly
# component of the plinth:plugin world, written beside its source as the
# `module` its plinth.toml names (guests/echo/echo.wasm, ...): the Rust
# guests (steps 1 and 2), the C guest (step 3), then the JavaScript and
# Python ones (step 4).
#
# 1. The guests compile to core wasm modules for wasm32-unknown-unknown with
#    Debian's Rust (rustc-web), building std from source (-Zbuild-std, as
#    Debian ships no prebuilt wasm std) and linking with LLVM's wasm-ld.
# 2. tools/componentize (built with the default cargo, e.g. rustup's) wraps
#    each module into a validated component and checks that the component
#    targets the world in crates/plinth-wasm/wit.
#
# Installs Debian's packages when they are missing (needs root or sudo).
# Steps 3 and 4 also need npm and python3, and fetch their pinned tools from
# the npm registry and PyPI; `build.sh --rust` stops after the Rust guests
# (and their copies into the example application), for an author of a Rust
# guest without those. Works from any directory. CARGO_BUILD_JOBS limits the
# parallel jobs.
set -euo pipefail

rust_only=false
case "${1:-}" in
  "") ;;
  --rust) rust_only=true ;;
  *) printf 'usage: guests/build.sh [--rust]\n' >&2; exit 2 ;;
esac

guests="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$guests")"
tool_dir="$root/tools/componentize"
target=wasm32-unknown-unknown

started=$SECONDS
say() { printf 'guests/build.sh: %s\n' "$*" >&2; }

# Installs Debian packages, through sudo when not root.
apt_install() {
  local sudo=""
  if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then sudo=sudo; fi
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# --- Debian's toolchain -------------------------------------------------------

# The path of Debian's `rustc`/`cargo` (rustup's proxies come first on PATH,
# so never the bare name): /usr/bin/NAME, else where the packages put it.
debian_tool() {
  local name=$1 path
  for path in "/usr/bin/$name" "/usr/bin/$name-web"; do
    if [[ -x $path ]]; then
      echo "$path"
      return
    fi
  done
  dpkg -L rustc-web cargo-web 2>/dev/null | grep -E "/bin/$name(-web)?$" | head -n 1 || true
}

find_toolchain() {
  rustc=$(debian_tool rustc)
  cargo=$(debian_tool cargo)
  wasm_ld=$(command -v wasm-ld-16 || true)
  if [[ -z $wasm_ld && -x /usr/lib/llvm-16/bin/wasm-ld ]]; then
    wasm_ld=/usr/lib/llvm-16/bin/wasm-ld
  fi
  std_src=""
  if [[ -n $rustc ]]; then
    std_src="$("$rustc" --print sysroot)/lib/rustlib/src/rust/library"
  fi
  [[ -n $rustc && -n $cargo && -n $wasm_ld && -d $std_src ]]
}

if ! find_toolchain; then
  say "installing Debian's rustc-web, cargo-web, rust-web-src and lld-16"
  apt_install rustc-web cargo-web rust-web-src lld-16
  if ! find_toolchain; then
    say "Debian's toolchain is still incomplete: rustc='$rustc' cargo='$cargo' wasm-ld='$wasm_ld' std source='$std_src'"
    exit 1
  fi
fi
say "using $("$rustc" --version) ($rustc), $cargo, $wasm_ld"

# --- 1. the guests' core modules ----------------------------------------------

# The build is the same wherever it runs: no flags from the caller's
# environment, and no machine-specific paths in the modules (panic messages
# carry source paths), so the committed components can be rebuilt
# byte-for-byte.
# (CARGO_ENCODED_RUSTFLAGS: flags separated by 0x1f, so paths may hold
# spaces; with --target they reach only the wasm crates, not build scripts.)
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
sep=$'\x1f'
remap="--remap-path-prefix=$guests=/plinth/guests"
remap+="$sep--remap-path-prefix=$cargo_home/registry/src=/cargo/registry/src"
remap+="$sep--remap-path-prefix=$std_src=/rust/library"

say "building the guests' core modules"
env -u RUSTFLAGS -u CARGO_BUILD_TARGET -u RUSTC_WRAPPER \
  -u CARGO_BUILD_RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER \
  RUSTC="$rustc" RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$wasm_ld" \
  CARGO_ENCODED_RUSTFLAGS="$remap" \
  "$cargo" build --release --locked \
  --manifest-path "$guests/Cargo.toml" --target-dir "$guests/target" \
  --target "$target" -Zbuild-std=std,panic_abort

# --- 2. the components --------------------------------------------------------

# The default cargo (rustup's) when there is one, else Debian's.
if command -v cargo >/dev/null; then
  host_cargo=(env -u RUSTC cargo)
else
  host_cargo=(env RUSTC="$rustc" "$cargo")
fi
say "building tools/componentize"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_TARGET \
  "${host_cargo[@]}" build --locked --quiet \
  --manifest-path "$tool_dir/Cargo.toml" --target-dir "$tool_dir/target"
componentize="$tool_dir/target/debug/componentize"

# The component file a manifest names: `module = "..."` under [plugin].
module_of() {
  sed -nE 's/^module[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$1" | head -n 1
}

built=0
for manifest in "$guests"/*/plinth.toml; do
  dir="$(dirname "$manifest")"
  crate="$(basename "$dir")"
  # The C, JavaScript and Python guests are built in steps 3 and 4.
  [[ -f $dir/Cargo.toml ]] || continue
  module="$(module_of "$manifest")"
  if [[ -z $module ]]; then
    say "$manifest names no module"
    exit 1
  fi
  core="guests/target/$target/release/${crate//-/_}.wasm"
  if [[ ! -f $root/$core ]]; then
    say "$crate: no core module at $core (is it a cdylib member of guests/Cargo.toml?)"
    exit 1
  fi
  (cd "$root" && "$componentize" "$core" -o "guests/$crate/$module" \
    --wit crates/plinth-wasm/wit --world plugin)
  built=$((built + 1))
done

# The example application runs the audit logger and the rate limiter
# sandboxed too: its plugins folder gets each one's manifest, component and
# schema (copies, so that the app's folder is self-contained, as an
# operator's would be).
app_plugins="$root/examples/app/plugins"
for guest in audit-logger rate-limiter; do
  to="$app_plugins/$guest-wasm"
  mkdir -p "$to"
  for file in "$guests/$guest"/plinth.toml "$guests/$guest"/*.wasm "$guests/$guest"/*.json; do
    [[ -f $file ]] && cp "$file" "$to/"
  done
  say "copied $guest into ${to#"$root"/}"
done

summary() {
  say "$built components built in $((SECONDS - started))s; the guests' components now:"
  for manifest in "$guests"/*/plinth.toml; do
    dir="$(dirname "$manifest")"
    module="$(module_of "$manifest")"
    [[ -f $dir/$module ]] || continue
    printf '  %8d bytes  %s\n' "$(wc -c <"$dir/$module")" "${dir#"$root"/}/$module" >&2
  done
}

if $rust_only; then
  summary
  exit 0
fi

# --- 3. the C guest ------------------------------------------------------------

# Debian's clang and wasi-libc, as a reactor (no `_start`), with the world's
# C bindings from tools/componentize. It calls no libc function that reaches
# the system, so the module imports no WASI; small like the Rust guests, its
# component is committed and must rebuild byte for byte.
# (clang links every wasm32-wasi module with compiler-rt's builtins, a
# package neither of the others depends on.)
builtins=/usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a
if ! command -v clang-16 >/dev/null || [[ ! -f /usr/lib/wasm32-wasi/libc.a || ! -f $builtins ]]; then
  say "installing Debian's clang-16, wasi-libc and libclang-rt-16-dev-wasm32"
  apt_install clang-16 wasi-libc libclang-rt-16-dev-wasm32
fi
say "building guests/echo-c (clang-16, wasi-libc)"
c_out="$guests/target/echo-c"
rm -rf "$c_out"
"$componentize" --c-bindings "$c_out" --wit "$root/crates/plinth-wasm/wit" --world plugin >/dev/null
clang-16 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wall -Wextra -Werror \
  -I "$c_out" -o "$c_out/echo_c.core.wasm" \
  "$guests/echo-c/echo.c" "$c_out/plugin.c" "$c_out/plugin_component_type.o"
(cd "$root" && "$componentize" "guests/target/echo-c/echo_c.core.wasm" -o guests/echo-c/echo_c.wasm \
  --wit crates/plinth-wasm/wit --world plugin)
built=$((built + 1))

# --- 4. the JavaScript and Python guests --------------------------------------

# Each bundles its language's engine (about 12 and 18 MB): built here from
# source, never committed. Their tools come pinned: componentize-js from the
# guest's package-lock.json, componentize-py from its requirements.txt.
# Both are built with WASI left out, so the components import the plinth
# world and nothing else (the world links no WASI).
wit="$root/crates/plinth-wasm/wit"

say "building guests/echo-js (componentize-js)"
command -v npm >/dev/null || { say "npm is needed for the JavaScript guest"; exit 1; }
(cd "$guests/echo-js" && npm ci --no-audit --no-fund --silent \
  && npx --no-install componentize-js guest.js --wit "$wit" --world-name plugin \
    -d stdio random clocks http fetch-event -o echo_js.wasm >/dev/null)
(cd "$root" && "$componentize" --check guests/echo-js/echo_js.wasm --wit crates/plinth-wasm/wit)
built=$((built + 1))

say "building guests/echo-py (componentize-py)"
venv="$guests/echo-py/.venv"
if [[ ! -x $venv/bin/pip ]]; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    say "installing Debian's python3-venv"
    apt_install python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$guests/echo-py/requirements.txt"
(cd "$guests/echo-py" && "$venv/bin/componentize-py" -d "$wit" -w plugin componentize app \
  --stub-wasi -o echo_py.wasm >/dev/null)
(cd "$root" && "$componentize" --check guests/echo-py/echo_py.wasm --wit crates/plinth-wasm/wit)
built=$((built + 1))

summary
