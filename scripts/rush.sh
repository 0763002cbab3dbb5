#!/usr/bin/env bash
# A rush on loopback: GUICHET_RUSH_CITIZENS (default 200) simulated citizens for
# GUICHET_RUSH_SECONDS (default 60) against a release build with a fresh SQLite database
# and demo data. Each citizen, again and again: signs in (form posted without
# JavaScript), opens the catalogue, starts « Aide au permis de conduire », fills its
# pages, attaches its PDFs, submits, opens « Mes dossiers ». Prints the latencies of
# each step (p50/p95/p99/max), the request and error counts (the test asserts zero
# errors: tests/api/scale.rs, a_rush_of_citizens) and the server's peak memory.
#
# The server trusts X-Forwarded-For (GUICHET_TRUST_PROXY=true) so that each simulated
# citizen comes from an address of its own, as real citizens do: the sign-in limits
# count per address.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh build
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
# The same value as cargo-leptos, so that `cargo test` and the site build share artifacts.
export LEPTOS_OUTPUT_NAME=guichet

CITIZENS="${GUICHET_RUSH_CITIZENS:-200}"
DURATION="${GUICHET_RUSH_SECONDS:-60}"
PORT="${GUICHET_RUSH_PORT:-3300}"
# The password of the simulated citizens (the test's default is the same).
PASSWORD="${GUICHET_RUSH_PASSWORD:-Foule-Des-Usagers-2026}"
START=$SECONDS
step() { printf '\n[rush] %s (at %ss)\n' "$*" "$((SECONDS - START))"; }

step "building the release site (cargo leptos build --release --split)"
cargo leptos build --release --split

step "building the test binary"
cargo test --features ssr --test api --no-run

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
SERVER="$TARGET_DIR/release/guichet"
DATA="$(mktemp -d)"
LOG="$DATA/server.log"
DATABASE="sqlite://$DATA/guichet.db?mode=rwc"
# The server's settings, also read by `guichet user create`. Emails go to .eml files.
SETTINGS=(
  "DATABASE_URL=$DATABASE"
  "GUICHET_DATA_DIR=$DATA"
  "GUICHET_DEMO_DATA=true"
  "GUICHET_SMTP_URL="
  "GUICHET_TRUST_PROXY=true"
  "LEPTOS_SITE_ADDR=127.0.0.1:$PORT"
  "GUICHET_PUBLIC_URL=http://127.0.0.1:$PORT"
  "LEPTOS_OUTPUT_NAME=guichet"
  "LEPTOS_SITE_ROOT=$ROOT/target/site"
  "LEPTOS_SITE_PKG_DIR=pkg"
)

step "starting the release server on 127.0.0.1:$PORT (data in $DATA)"
env "${SETTINGS[@]}" "$SERVER" >"$LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz"; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$LOG"
    echo "[rush] the server did not start" >&2
    exit 1
  fi
  sleep 0.5
done

step "creating $CITIZENS citizens (guichet user create)"
for i in $(seq 0 $((CITIZENS - 1))); do
  printf '%s\n' "$PASSWORD" | env "${SETTINGS[@]}" "$SERVER" user create \
    --email "usager-$i@foule.example" --role citizen \
    --first-name Usager --last-name "Foule-$i" >>"$DATA/citizens.log" 2>&1 \
    || { tail -n 20 "$DATA/citizens.log"; echo "[rush] creating citizen $i failed" >&2; exit 1; }
done
grep -E '^(VmRSS|VmHWM)' "/proc/$SERVER_PID/status" | sed 's/^/[rush] server before the rush: /' || true

step "the rush: $CITIZENS citizens for $DURATION s"
set +e
GUICHET_RUSH_URL="http://127.0.0.1:$PORT" \
  GUICHET_RUSH_CITIZENS="$CITIZENS" \
  GUICHET_RUSH_SECONDS="$DURATION" \
  GUICHET_RUSH_PASSWORD="$PASSWORD" \
  GUICHET_RUSH_DATABASE_URL="$DATABASE" \
  cargo test --features ssr --test api -- --ignored --nocapture a_rush_of_citizens
STATUS=$?
set -e

step "the server after the rush"
grep -E '^(VmRSS|VmHWM)' "/proc/$SERVER_PID/status" | sed 's/^/[rush] server: /' || true
echo "[rush] server log lines at level ERROR: $(grep -c 'ERROR' "$LOG" || true) (log: $LOG)"
stop_server
trap - EXIT
echo "[rush] finished in $((SECONDS - START))s"
exit "$STATUS"
