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

# The server of the end-to-end run is the binary `cargo test` just built for the
# integration tests (same source, same `ssr` feature): only the browser side is built
# here. A full `cargo leptos build` would compile the server and every server dependency
# a second time, since the test build unifies the dev-dependencies' features.
step "end-to-end: building the browser side (cargo leptos build --frontend-only --split)"
cargo leptos build --frontend-only --split

# The two projects (JavaScript on, JavaScript off) run at the same time, each against a
# server of its own (fresh database, demo data, outbox): they sign in the same demo
# accounts, so they must not share one. Each project runs its tests one at a time.
step "end-to-end: starting two Guichet servers, each with a fresh database and demo data"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[ -x "$TARGET_DIR/debug/guichet" ] || { echo "no server binary at $TARGET_DIR/debug/guichet" >&2; exit 1; }
FIRST_PORT="${GUICHET_E2E_PORT:-3100}"
PROJECTS=(js-on js-off)
SERVER_PIDS=()
declare -A E2E_DIRS E2E_PORTS
trap 'for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done' EXIT
for i in "${!PROJECTS[@]}"; do
  project="${PROJECTS[$i]}"
  port=$((FIRST_PORT + i))
  dir="$(mktemp -d)"
  E2E_DIRS[$project]="$dir"
  E2E_PORTS[$project]="$port"
  GUICHET_DATA_DIR="$dir" GUICHET_DEMO_DATA=true GUICHET_SMTP_URL= GUICHET_MAIL_POLL_MS=200 \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" GUICHET_PUBLIC_URL="http://127.0.0.1:$port" \
    LEPTOS_OUTPUT_NAME=guichet LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_SITE_PKG_DIR=pkg \
    "$TARGET_DIR/debug/guichet" >"$LOGS/server-$project.log" 2>&1 &
  SERVER_PIDS+=($!)
done
for i in "${!PROJECTS[@]}"; do
  project="${PROJECTS[$i]}"
  for _ in $(seq 1 120); do
    if node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
      "http://127.0.0.1:${E2E_PORTS[$project]}/healthz"; then break; fi
    if ! kill -0 "${SERVER_PIDS[$i]}" 2>/dev/null; then
      cat "$LOGS/server-$project.log"; echo "the $project server did not start" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "[test] $project: http://127.0.0.1:${E2E_PORTS[$project]}, data in ${E2E_DIRS[$project]}"
done

run_playwright() { # project
  (cd end2end && GUICHET_E2E_BASE_URL="http://127.0.0.1:${E2E_PORTS[$1]}" \
    GUICHET_E2E_OUTBOX="${E2E_DIRS[$1]}/outbox" \
    npx playwright test --project="$1" --output="test-results/$1")
}
step "end-to-end: Playwright in headless Chromium, JavaScript on and off side by side (axe-core on every page)"
set +e
run_playwright js-off >"$LOGS/e2e-js-off.log" 2>&1 &
JS_OFF_PID=$!
echo "[test] js-off runs in the background; its report follows the js-on one"
run_playwright js-on 2>&1 | tee "$LOGS/e2e-js-on.log"
JS_ON_STATUS=${PIPESTATUS[0]}
wait "$JS_OFF_PID"
JS_OFF_STATUS=$?
set -e
echo; echo "--- js-off ---"; cat "$LOGS/e2e-js-off.log"
E2E_STATUS=0
for project in js-on js-off; do
  status_var="JS_${project#js-}_STATUS"; status_var="${status_var^^}"
  if [ "${!status_var}" != 0 ]; then
    E2E_STATUS=1
    # Its warnings and errors (the mail worker's lines would hide them), then its end.
    echo "--- server log ($project): warnings and errors ---"
    { grep -aE 'WARN|ERROR' "$LOGS/server-$project.log" || true; } | tail -n 40
    echo "--- server log ($project): last lines ---"; tail -n 10 "$LOGS/server-$project.log"
  fi
done

# One closing line for all the suites.
sum() { { grep -hEo "$1" "${@:2}" || true; } | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(sum '[0-9]+ passed' "$LOGS"/cargo-*.log) + $(sum '^ *[0-9]+ passed' "$LOGS"/e2e-*.log) ))
failed=$(( $(sum '[0-9]+ failed' "$LOGS"/cargo-*.log) + $(sum '^ *[0-9]+ failed' "$LOGS"/e2e-*.log) ))
if [ "$E2E_STATUS" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$failed" != 0 ]; then
  # Last, so that the end of the output names what failed and why.
  echo; echo "--- what failed ---"
  { grep -ahE '^test .* FAILED$|panicked at' -A1 "$LOGS"/cargo-*.log || true; } | cut -c1-600
  { grep -ahE '^ +[0-9]+\) \[|^ +Error: ' "$LOGS"/e2e-*.log || true; } | cut -c1-600
fi
echo
echo "[test] finished in $((SECONDS - START))s"
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
