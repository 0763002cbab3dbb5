#!/usr/bin/env bash
# Runs every check and test: formatting, lints (server and browser builds), unit and
# integration tests on SQLite (and on PostgreSQL when GUICHET_TEST_POSTGRES_URL is set),
# then the end-to-end suite in headless Chromium, JavaScript on and off.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh all
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:${GUICHET_TOOLS_DIR:-$HOME/.cache/guichet-tools}/moto/bin:$PATH"
# cargo-leptos sets this for its builds; leptos reads it at compile time, so the same
# value here lets `cargo test` and `cargo leptos build` share their artifacts.
export LEPTOS_OUTPUT_NAME=guichet
LOGS="$(mktemp -d)"
START=$SECONDS
step() { printf '\n[test] %s (at %ss)\n' "$*" "$((SECONDS - START))"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy, server build (ssr)"
cargo clippy --workspace --features ssr --all-targets -- -D warnings

step "cargo clippy, browser build (hydrate, wasm32)"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests on SQLite"
cargo test --features ssr 2>&1 | tee "$LOGS/cargo-sqlite.log"

if [ -n "${GUICHET_TEST_POSTGRES_URL:-}" ]; then
  step "integration tests on PostgreSQL"
  cargo test --features ssr --test api 2>&1 | tee "$LOGS/cargo-postgres.log"
else
  step "integration tests on PostgreSQL: skipped (GUICHET_TEST_POSTGRES_URL is not set)"
fi

step "end-to-end: building the site (cargo leptos build)"
cargo leptos build

step "end-to-end: starting Guichet with a fresh database and demo data"
E2E_DIR="$(mktemp -d)"
E2E_PORT="${GUICHET_E2E_PORT:-3100}"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
GUICHET_DATA_DIR="$E2E_DIR" GUICHET_DEMO_DATA=true GUICHET_SMTP_URL= GUICHET_MAIL_POLL_MS=200 \
  LEPTOS_SITE_ADDR="127.0.0.1:$E2E_PORT" GUICHET_PUBLIC_URL="http://127.0.0.1:$E2E_PORT" \
  LEPTOS_OUTPUT_NAME=guichet LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_SITE_PKG_DIR=pkg \
  "$TARGET_DIR/debug/guichet" >"$LOGS/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
    "http://127.0.0.1:$E2E_PORT/healthz"; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$LOGS/server.log"; echo "the server did not start" >&2; exit 1; fi
  sleep 0.5
done

step "end-to-end: Playwright in headless Chromium (JavaScript on and off, axe-core on every page)"
set +e
(cd end2end && GUICHET_E2E_BASE_URL="http://127.0.0.1:$E2E_PORT" GUICHET_E2E_OUTBOX="$E2E_DIR/outbox" npx playwright test) 2>&1 | tee "$LOGS/e2e.log"
E2E_STATUS=${PIPESTATUS[0]}
set -e
if [ "$E2E_STATUS" != 0 ]; then
  echo "--- server log ---"; tail -n 80 "$LOGS/server.log"
fi

# One closing line for all the suites.
sum() { { grep -hEo "$1" "${@:2}" || true; } | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(sum '[0-9]+ passed' "$LOGS"/cargo-*.log) + $(sum '^ *[0-9]+ passed' "$LOGS/e2e.log") ))
failed=$(( $(sum '[0-9]+ failed' "$LOGS"/cargo-*.log) + $(sum '^ *[0-9]+ failed' "$LOGS/e2e.log") ))
if [ "$E2E_STATUS" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo
echo "[test] finished in $((SECONDS - START))s"
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
