#!/usr/bin/env bash
# Installs, idempotently, every tool the run and test commands need.
# Each step prints one line saying what it did. Only package registries are used
# (crates.io through cargo, npm, Debian's apt); nothing is downloaded from elsewhere.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.11"
TOOLS_DIR="${GUICHET_TOOLS_DIR:-$HOME/.cache/guichet-tools}"
mkdir -p "$TOOLS_DIR"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[tools] %s\n' "$*"; }

# The wasm-bindgen version is whatever the lock file pins (the crate is pinned with `=`).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# Fetches a crate's source through cargo itself (a scratch crate that depends on it)
# and copies it to $2, so that its lock file can be adjusted before `cargo install --path`.
fetch_crate_source() {
  local name="$1" version="$2" dest="$3" scratch
  scratch="$(mktemp -d)"
  mkdir -p "$scratch/src"
  printf '[package]\nname = "scratch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = "=%s"\n' \
    "$name" "$version" >"$scratch/Cargo.toml"
  : >"$scratch/src/lib.rs"
  (cd "$scratch" && cargo fetch --quiet)
  local src
  src="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "$name-$version" | head -n 1)"
  [ -n "$src" ] || { echo "could not find the source of $name $version" >&2; exit 1; }
  rm -rf "$dest"
  cp -r "$src" "$dest"
  chmod -R u+w "$dest"
  rm -rf "$scratch"
}

step_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "wasm32-unknown-unknown target: already installed"
  else
    say "wasm32-unknown-unknown target: installing with rustup"
    rustup target add wasm32-unknown-unknown
  fi
}

step_cargo_leptos() {
  if command -v cargo-leptos >/dev/null 2>&1 && cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "cargo-leptos $CARGO_LEPTOS_VERSION: already installed"
    return
  fi
  say "cargo-leptos $CARGO_LEPTOS_VERSION: building from crates.io source with no_downloads (about 12 min without its fat LTO, once)"
  local dir="$TOOLS_DIR/cargo-leptos-$CARGO_LEPTOS_VERSION"
  fetch_crate_source cargo-leptos "$CARGO_LEPTOS_VERSION" "$dir"
  # Its lock pins cargo-util-schemas 0.14.2, which needs a newer rustc than 1.95.
  # Its release profile asks for fat LTO with one codegen unit: the environment overrides
  # that (cargo's config beats the manifest's profile), which cuts the build a lot on two
  # cores; the tool only orchestrates builds, its own speed hardly matters.
  (cd "$dir" && cargo update --quiet -p cargo-util-schemas --precise 0.14.1 &&
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --quiet --path . --locked --features no_downloads)
}

step_wasm_bindgen() {
  local version
  version="$(wasm_bindgen_version)"
  [ -n "$version" ] || { echo "no wasm-bindgen in Cargo.lock" >&2; exit 1; }
  if command -v wasm-bindgen >/dev/null 2>&1 && wasm-bindgen --version 2>/dev/null | grep -q " $version\$"; then
    say "wasm-bindgen-cli $version: already installed"
    return
  fi
  say "wasm-bindgen-cli $version: building from crates.io source (about 4 min, once)"
  local dir="$TOOLS_DIR/wasm-bindgen-cli-$version"
  fetch_crate_source wasm-bindgen-cli "$version" "$dir"
  # Its lock pins webpki-roots 1.0.11, which the registry here does not serve.
  (cd "$dir" && { cargo update --quiet -p webpki-roots --precise 1.0.10 || true; } &&
    cargo install --quiet --path . --locked --force)
}

step_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      say "node and npm: installing Debian's packages"
      apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "node and npm are missing: install Debian's packages nodejs and npm" >&2; exit 1
    fi
  fi
  local lock="$ROOT/end2end/package-lock.json" stamp="$ROOT/end2end/node_modules/.guichet-lock"
  if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
    say "end2end npm packages (Playwright, axe-core, binaryen's wasm-opt): already installed"
  else
    say "end2end npm packages (Playwright, axe-core, mailparser, binaryen's wasm-opt): npm ci"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    cp "$lock" "$stamp"
  fi
}

step_chromium() {
  local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then
    say "Chromium: already installed at $chromium"
  elif [ "$(id -u)" = 0 ]; then
    say "Chromium: installing Debian's package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install chromium' or set CHROMIUM_PATH" >&2; exit 1
  fi
}

# pdftotext and pdfinfo (poppler): the tests read the text of the PDF copies with them.
step_poppler() {
  if command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then
    say "poppler-utils (pdftotext): already installed"
  elif [ "$(id -u)" = 0 ]; then
    say "poppler-utils (pdftotext): installing Debian's package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "pdftotext is missing: run 'sudo apt-get install poppler-utils'" >&2; exit 1
  fi
}

# moto's S3-compatible server (PyPI), in a virtual environment of its own: the object
# storage tests start it on a free port.
MOTO_VERSION="5.2.1"
step_moto() {
  local venv="$TOOLS_DIR/moto"
  if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    say "moto $MOTO_VERSION (S3-compatible server for the tests): already installed"
    return
  fi
  say "moto $MOTO_VERSION (S3-compatible server for the tests): installing from PyPI into $venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      say "python3-venv: installing Debian's package (needed for moto's virtualenv)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null
      rm -rf "$venv" && python3 -m venv "$venv"
    else
      echo "python3 -m venv failed: run 'sudo apt-get install python3-venv'" >&2; exit 1
    fi
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

what="${1:-all}"
case "$what" in
  build) step_wasm_target; step_cargo_leptos; step_wasm_bindgen; step_npm ;;
  browser) step_npm; step_chromium ;;
  all) step_wasm_target; step_cargo_leptos; step_wasm_bindgen; step_npm; step_chromium; step_poppler; step_moto ;;
  *) echo "usage: install-tools.sh [build|browser|all]" >&2; exit 2 ;;
esac
