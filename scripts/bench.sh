#!/usr/bin/env bash
# The benchmarks of the portal in one command: prints every figure of the README's
# "Benchmarks" section in one run.
#
#   scripts/bench.sh
#
# 1. Installs what is missing (wrk and brotli from Debian's packages, the build tools
#    through scripts/install-tools.sh), one line each.
# 2. Builds the release site: LEPTOS_OUTPUT_NAME=guichet cargo leptos build --release --split

# 3. Generates, once, a database with realistic volumes (`guichet generate`: 200,000
#    accounts, 1,000,000 dossiers over 20 démarches, attachments metadata, histories),
#    cached under $GUICHET_BENCH_DIR; each run works on a fresh copy of it.
# 4. Starts the release server on loopback, signs in the bench citizen and the bench
#    instructor (password, then the TOTP code) with curl the way a browser without
#    JavaScript does, checks that every page answers 200, then runs
#    `wrk --latency -t2 -c64` (after a warm-up) on the home page, the catalogue, a
#    démarche's page, « Mes dossiers » signed in, a back-office queue page of the
#    biggest démarche and a static file of public/ (the ceiling).
# 5. Prints one table (req/s, p50, p99, non-2xx), the budgets (home page ≥ half the
#    static file's req/s, every p99 < 50 ms, server memory < 150 MB: VmHWM and VmRSS
#    after the runs), and the client's weight: brotli -q 11 of the WASM and JS a first
#    visit downloads (budget 150 KB), the CSS, and every other file of the site's pkg/.
#
# It asserts no budget: it prints figures. It fails (exit 1) when a page does not
# answer 200, a sign-in fails, wrk counts errors, or the server dies.
#
# Settings (environment, all optional):
#   GUICHET_BENCH_ACCOUNTS       accounts generated (200000)
#   GUICHET_BENCH_DOSSIERS       dossiers generated (1000000)
#   GUICHET_BENCH_SECONDS        length of each measured wrk run, in seconds (15)
#   GUICHET_BENCH_WARMUP         warm-up before each measured run, in seconds (3)
#   GUICHET_BENCH_DIR            generated databases, run copy, logs (/var/tmp/guichet-bench)
#   GUICHET_BENCH_PORT           loopback port of the server (3200)
#   GUICHET_BENCH_DATABASE_URL   postgres://… : an empty PostgreSQL database, filled on the
#                                first run and reused (read-mostly) by the next ones
#   GUICHET_BENCH_SKIP_BUILD=1   reuse the release build already made (no tools, no build)
#   GUICHET_BENCH_PROFILE=1      also record each run with `perf record -g` (linux-perf must be
#                                installed) and write its hottest functions next to wrk's output
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ACCOUNTS="${GUICHET_BENCH_ACCOUNTS:-200000}"
DOSSIERS="${GUICHET_BENCH_DOSSIERS:-1000000}"
DURATION="${GUICHET_BENCH_SECONDS:-15}"
WARMUP="${GUICHET_BENCH_WARMUP:-3}"
BENCH_DIR="${GUICHET_BENCH_DIR:-/var/tmp/guichet-bench}"
PORT="${GUICHET_BENCH_PORT:-3200}"
BASE="http://127.0.0.1:$PORT"
THREADS=2
CONNECTIONS=64
P99_BUDGET_MS=50
MEMORY_BUDGET_MB=150
WEIGHT_BUDGET_KB=150
START=$SECONDS

say() { printf '[bench] %s\n' "$*"; }
fail() {
  printf '[bench] ERROR: %s\n' "$*" >&2
  exit 1
}

SERVER_PID=""
WORK="$(mktemp -d)"
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------- tools
APT_UPDATED=""
need_apt() { # command, Debian package
  if command -v "$1" >/dev/null 2>&1; then
    say "$2: already installed"
  elif [ "$(id -u)" = 0 ]; then
    say "$2: installing Debian's package"
    if [ -z "$APT_UPDATED" ]; then
      apt-get update -qq
      APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    fail "$2 is missing: run 'sudo apt-get install $2'"
  fi
}
need_apt wrk wrk
need_apt brotli brotli
need_apt curl curl
need_apt python3 python3
# Playwright (npm) and Chromium (Debian) measure what a first visit downloads.
bash scripts/install-tools.sh browser

export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
# Read by leptos at compile time: the same value as scripts/test.sh shares artifacts.
export LEPTOS_OUTPUT_NAME=guichet
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  TARGET_DIR="$CARGO_TARGET_DIR"
else
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
fi
BIN="$TARGET_DIR/release/guichet"
SITE="$ROOT/target/site"

# ---------------------------------------------------------------------- build
if [ "${GUICHET_BENCH_SKIP_BUILD:-}" = 1 ]; then
  say "release build: reusing $BIN and $SITE (GUICHET_BENCH_SKIP_BUILD=1)"
else
  bash scripts/install-tools.sh build
  say "release build: LEPTOS_OUTPUT_NAME=guichet cargo leptos build --release --split"
  cargo leptos build --release --split
fi
[ -x "$BIN" ] || fail "no release server at $BIN"
[ -d "$SITE/pkg" ] || fail "no site at $SITE/pkg"

# ---------------------------------------------------------------------- data
mkdir -p "$BENCH_DIR"
RUN_DIR="$BENCH_DIR/run"
LOG_DIR="$BENCH_DIR/logs"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR" "$LOG_DIR"
# A database generated by another generator or schema is generated again.
GENERATOR="$(cat src/server/volume.rs src/demarches/data/*.toml migration/src/*.rs | sha256sum | cut -c1-16)"
STAMP="accounts=$ACCOUNTS dossiers=$DOSSIERS generator=$GENERATOR"

generate() { # database URL, log file
  say "data: generating $ACCOUNTS accounts and $DOSSIERS dossiers (once; the log goes to $2)"
  DATABASE_URL="$1" GUICHET_DATA_DIR="$RUN_DIR" RUST_LOG=warn \
    "$BIN" generate --accounts "$ACCOUNTS" --dossiers "$DOSSIERS" 2>&1 | tee "$2"
}

if [ -n "${GUICHET_BENCH_DATABASE_URL:-}" ]; then
  BACKEND=postgres
  DB_URL="$GUICHET_BENCH_DATABASE_URL"
  KEY="postgres-$(printf '%s' "$DB_URL" | sha256sum | cut -c1-12)"
  MARK="$BENCH_DIR/$KEY.done"
  GEN_LOG="$BENCH_DIR/$KEY.generate.log"
  if [ -f "$MARK" ] && [ -f "$GEN_LOG" ] && [ "$(cat "$MARK")" = "$STAMP" ]; then
    say "data: reusing the PostgreSQL database filled by an earlier run ($STAMP)"
  else
    rm -f "$MARK"
    generate "$DB_URL" "$GEN_LOG.partial" ||
      fail "generation failed; it never adds to a database that holds data: give GUICHET_BENCH_DATABASE_URL an empty database"
    mv "$GEN_LOG.partial" "$GEN_LOG"
    printf '%s\n' "$STAMP" >"$MARK"
  fi
else
  BACKEND=sqlite
  CACHED="$BENCH_DIR/guichet-$ACCOUNTS-$DOSSIERS.db"
  MARK="$CACHED.done"
  GEN_LOG="$CACHED.generate.log"
  if [ -f "$CACHED" ] && [ -f "$MARK" ] && [ -f "$GEN_LOG" ] && [ "$(cat "$MARK")" = "$STAMP" ]; then
    say "data: reusing $CACHED ($STAMP)"
  else
    PARTIAL="$CACHED.partial"
    rm -f "$CACHED" "$CACHED-wal" "$CACHED-shm" "$MARK" "$PARTIAL" "$PARTIAL-wal" "$PARTIAL-shm"
    generate "sqlite://$PARTIAL?mode=rwc" "$GEN_LOG.partial" || fail "generation failed"
    mv "$PARTIAL" "$CACHED"
    # The generator ends with a checkpoint; a log left over goes with its database.
    if [ -s "$PARTIAL-wal" ]; then mv "$PARTIAL-wal" "$CACHED-wal"; fi
    rm -f "$PARTIAL-wal" "$PARTIAL-shm"
    mv "$GEN_LOG.partial" "$GEN_LOG"
    printf '%s\n' "$STAMP" >"$MARK"
  fi
  say "data: a fresh copy for this run in $RUN_DIR"
  cp --reflink=auto "$CACHED" "$RUN_DIR/guichet.db"
  if [ -f "$CACHED-wal" ]; then cp "$CACHED-wal" "$RUN_DIR/guichet.db-wal"; fi
  DB_URL="sqlite://$RUN_DIR/guichet.db?mode=rwc"
fi

# What the generator printed for scripts: NAME=value lines.
fixture() { sed -n "s/^$1=//p" "$GEN_LOG" | tail -n 1; }
DEMARCHE_ID="$(fixture GUICHET_BENCH_DEMARCHE_ID)"
DEMARCHE_SLUG="$(fixture GUICHET_BENCH_DEMARCHE_SLUG)"
CITIZEN_EMAIL="$(fixture GUICHET_BENCH_CITIZEN_EMAIL)"
INSTRUCTOR_EMAIL="$(fixture GUICHET_BENCH_INSTRUCTOR_EMAIL)"
PASSWORD="$(fixture GUICHET_BENCH_PASSWORD)"
TOTP_SECRET="$(fixture GUICHET_BENCH_TOTP_SECRET)"
for value in "$DEMARCHE_ID" "$DEMARCHE_SLUG" "$CITIZEN_EMAIL" "$INSTRUCTOR_EMAIL" "$PASSWORD" "$TOTP_SECRET"; do
  [ -n "$value" ] || fail "$GEN_LOG lacks the GUICHET_BENCH_… lines of the generator: delete it to generate again"
done

# ---------------------------------------------------------------------- server
SERVER_LOG="$LOG_DIR/server.log"
if curl -s -o /dev/null "$BASE/healthz"; then
  fail "something already answers on $BASE: stop it or set GUICHET_BENCH_PORT"
fi
say "server: starting the release build on $BASE ($BACKEND), log in $SERVER_LOG"
DATABASE_URL="$DB_URL" GUICHET_DATA_DIR="$RUN_DIR" GUICHET_DEMO_DATA=false GUICHET_SMTP_URL="" \
  LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GUICHET_PUBLIC_URL="$BASE" \
  LEPTOS_OUTPUT_NAME=guichet LEPTOS_SITE_ROOT="$SITE" LEPTOS_SITE_PKG_DIR=pkg \
  "$BIN" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }
for attempt in $(seq 1 240); do
  if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then break; fi
  if ! server_alive; then
    tail -n 40 "$SERVER_LOG" >&2
    fail "the server stopped while starting"
  fi
  if [ "$attempt" = 240 ]; then fail "the server did not answer /healthz within 120 s"; fi
  sleep 0.5
done
say "server: ready (pid $SERVER_PID)"

# ---------------------------------------------------------------------- sign-in
# The action of the form posting to a server function, as the page renders it
# (`/api/sign_in…`: the URL ends with a hash of the build).
form_action() { # page file, server function name
  { grep -oE "action=\"/api/$2[^\"]*\"" "$1" || true; } | sed 's/^action="//; s/"$//' | awk 'NR == 1'
}

# A form posted the way a browser without JavaScript posts it; prints "status location".
post_form() { # cookie jar, action, path of the page, then curl's --data-urlencode arguments
  local jar="$1" action="$2" page="$3"
  shift 3
  curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -c "$jar" \
    -H 'Accept: text/html,application/xhtml+xml' -H "Origin: $BASE" \
    -H 'Sec-Fetch-Site: same-origin' -H "Referer: $BASE$page" \
    "$@" "$BASE$action"
}

# Email and password on « Connexion »; prints where the answer redirects.
sign_in() { # cookie jar, email, password
  local page="$WORK/connexion.html" action answer
  curl -fsS -b "$1" -c "$1" -o "$page" "$BASE/connexion" || fail "GET /connexion failed"
  action="$(form_action "$page" sign_in)"
  [ -n "$action" ] || fail "no sign-in form (action=\"/api/sign_in…\") on /connexion"
  answer="$(post_form "$1" "$action" /connexion \
    --data-urlencode "email=$2" --data-urlencode "password=$3" --data-urlencode "retour=")"
  [ "${answer%% *}" = 302 ] || fail "sign-in of $2: expected a redirect (302), got '$answer'"
  printf '%s' "${answer#* }"
}

# The current code of a TOTP secret (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits,
# as src/server/totp.rs checks it).
totp() {
  python3 - "$1" <<'PY'
import base64, hashlib, hmac, struct, sys, time
secret = sys.argv[1].replace(" ", "").upper()
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
offset = digest[-1] & 0x0F
number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
print(f"{number % 1000000:06d}")
PY
}

session_of() { awk '$6 == "guichet_session" { value = $7 } END { print value }' "$1"; }

CITIZEN_JAR="$WORK/citizen.jar"
INSTRUCTOR_JAR="$WORK/instructor.jar"
: >"$CITIZEN_JAR"
: >"$INSTRUCTOR_JAR"

target="$(sign_in "$CITIZEN_JAR" "$CITIZEN_EMAIL" "$PASSWORD")"
[ "$target" = "$BASE/mon-compte" ] || fail "the citizen's sign-in led to '$target', not $BASE/mon-compte"
CITIZEN_SESSION="$(session_of "$CITIZEN_JAR")"
[ -n "$CITIZEN_SESSION" ] || fail "no session cookie after the citizen's sign-in"
say "sign-in: $CITIZEN_EMAIL signed in"

target="$(sign_in "$INSTRUCTOR_JAR" "$INSTRUCTOR_EMAIL" "$PASSWORD")"
[ "$target" = "$BASE/connexion/code" ] || fail "the instructor's sign-in led to '$target', not $BASE/connexion/code"
verified=""
for attempt in 1 2 3; do
  curl -fsS -b "$INSTRUCTOR_JAR" -c "$INSTRUCTOR_JAR" -o "$WORK/code.html" "$BASE/connexion/code" ||
    fail "GET /connexion/code failed"
  action="$(form_action "$WORK/code.html" verify_second_factor)"
  [ -n "$action" ] || fail "no code form (action=\"/api/verify_second_factor…\") on /connexion/code"
  answer="$(post_form "$INSTRUCTOR_JAR" "$action" /connexion/code --data-urlencode "code=$(totp "$TOTP_SECRET")")"
  if [ "$answer" = "302 $BASE/instruction" ]; then
    verified=1
    break
  fi
  # A code is accepted once: an earlier run may have used this step's code.
  say "second factor: code refused ($answer), trying the next 30-second step"
  sleep $((31 - $(date +%s) % 30))
done
[ -n "$verified" ] || fail "the instructor's TOTP code was refused three times"
INSTRUCTOR_SESSION="$(session_of "$INSTRUCTOR_JAR")"
[ -n "$INSTRUCTOR_SESSION" ] || fail "no session cookie after the instructor's second factor"
say "sign-in: $INSTRUCTOR_EMAIL signed in with the second factor; server VmHWM $(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status") MB"

# ---------------------------------------------------------------------- pages
# name | path | session cookie
PAGES=(
  "home page|/|"
  "catalogue|/demarches|"
  "demarche page|/demarches/$DEMARCHE_SLUG|"
  "mes dossiers (citizen)|/mon-compte/dossiers|guichet_session=$CITIZEN_SESSION"
  "queue page (instructor)|/instruction/demarches/$DEMARCHE_ID|guichet_session=$INSTRUCTOR_SESSION"
  "static file|/favicon.svg|"
)

# Fails unless the page answers 200; signed-in pages must list dossiers (a session that
# was lost would show the sign-in page instead).
check_page() { # name, path, cookie, output file
  local args=() status
  if [ -n "$3" ]; then args=(-H "Cookie: $3"); fi
  status="$(curl -sS -o "$4" -w '%{http_code}' "${args[@]}" "$BASE$2")" || fail "$1: $2 did not answer"
  if [ "$status" != 200 ]; then
    head -c 600 "$4" >&2 || true
    fail "$1: $2 answered $status, not 200"
  fi
  if [ -n "$3" ] && ! grep -qE '[0-9]{4}-[0-9]{6}' "$4"; then
    fail "$1: $2 shows no dossier number (is the session still valid?)"
  fi
}

# "1.23ms" → "1.23" (milliseconds).
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000
    else if (v ~ /ms$/) n = n
    else if (v ~ /m$/) n = n * 60000
    else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n
  }'
}

NAMES=()
PATHS=()
RPS=()
P50=()
P99=()
NON2XX=()
ERRORS=()
say "load: wrk --latency -t$THREADS -c$CONNECTIONS -d${DURATION}s per page, after ${WARMUP}s of warm-up"
for entry in "${PAGES[@]}"; do
  IFS='|' read -r name path cookie <<<"$entry"
  out="$WORK/page.html"
  check_page "$name" "$path" "$cookie" "$out"
  if [ "$path" = / ]; then cp "$out" "$WORK/home.html"; fi
  args=(-t"$THREADS" -c"$CONNECTIONS")
  if [ -n "$cookie" ]; then args+=(-H "Cookie: $cookie"); fi
  wrk "${args[@]}" -d"${WARMUP}s" "$BASE$path" >/dev/null
  result="$LOG_DIR/wrk-$(printf '%s' "$name" | tr -c 'a-z0-9' '-').txt"
  perf_pid=""
  if [ "${GUICHET_BENCH_PROFILE:-}" = 1 ]; then
    perf_data="$LOG_DIR/perf-$(printf '%s' "$name" | tr -c 'a-z0-9' '-').data"
    perf record -q -e cpu-clock -F 499 -g -p "$SERVER_PID" -o "$perf_data" -- sleep "$DURATION" 2>/dev/null &
    perf_pid=$!
  fi
  wrk "${args[@]}" -d"${DURATION}s" --latency "$BASE$path" >"$result"
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    perf report -i "$perf_data" --no-children --stdio --percent-limit 0.7 2>/dev/null |
      grep -E '^ +[0-9]' >"${perf_data%.data}.txt" || true
    say "  profile of $name: ${perf_data%.data}.txt (the figures of a profiled run are lower)"
  fi
  server_alive || fail "the server died during the run on $path (see $SERVER_LOG)"
  check_page "$name" "$path" "$cookie" "$out"
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$result")"
  p50="$(awk '$1 == "50%" { print $2 }' "$result")"
  p99="$(awk '$1 == "99%" { print $2 }' "$result")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$result")"
  sockets="$({ grep -E 'Socket errors:' "$result" || true; } | sed 's/^ *//')"
  if [ -z "$rps" ] || [ -z "$p50" ] || [ -z "$p99" ]; then
    cat "$result" >&2
    fail "$name: could not read wrk's output"
  fi
  NAMES+=("$name $path")
  PATHS+=("$path")
  RPS+=("$rps")
  P50+=("$(to_ms "$p50")")
  P99+=("$(to_ms "$p99")")
  NON2XX+=("${non2xx:-0}")
  if [ -n "$non2xx" ]; then ERRORS+=("$name ($path): $non2xx answers were errors (4xx/5xx)"); fi
  if [ -n "$sockets" ]; then ERRORS+=("$name ($path): $sockets"); fi
  say "  $name: $rps req/s, p50 $p50, p99 $p99; server VmHWM $(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status") MB, VmRSS $(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status") MB"
done

# The server's memory after every run, while it still runs.
HWM_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")"
RSS_KB="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")"
# What the resident memory is made of: heap and stacks (anonymous) and mapped files (the
# binary's code and data, shared libraries).
ANON_KB="$(awk '/^RssAnon:/ { print $2 }' "/proc/$SERVER_PID/status")"
FILE_KB="$(awk '/^RssFile:/ { print $2 }' "/proc/$SERVER_PID/status")"
THREADS_NOW="$(awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status")"

# ---------------------------------------------------------------------- client weight
declare -A BR
br_size() { # site-relative path → brotli -q 11 size in bytes (computed once)
  if [ -z "${BR[$1]:-}" ]; then
    BR[$1]="$(brotli -q 11 -c "$SITE/$1" | wc -c | tr -d ' ')"
  fi
  printf '%s' "${BR[$1]}"
}
raw_size() { wc -c <"$SITE/$1" | tr -d ' '; }

# What a first visit downloads, measured in headless Chromium with an empty cache
# (scripts/first-visit.cjs): the home page (the budget), a démarche page, and the sign-in
# page, whose code is a lazily loaded group (`app::lazy`) fetched as WASM chunks.
VISITS=(/ "/demarches/$DEMARCHE_SLUG" /connexion)
say "client weight: loading ${VISITS[*]} in headless Chromium (empty cache each)"
if ! node scripts/first-visit.cjs "$BASE" "${VISITS[@]}" >"$WORK/first-visit.txt" 2>"$WORK/first-visit.err"; then
  ERRORS+=("first visit in Chromium failed: $(tr '\n' ' ' <"$WORK/first-visit.err")")
fi
declare -A VISIT_FILES VISIT_AFTER
while read -r visit file when; do
  if [ ! -f "$SITE/$file" ]; then
    ERRORS+=("$visit downloaded /$file, which is not in $SITE")
    continue
  fi
  case "$file" in
    *.js | *.wasm)
      if [ "$when" = after ]; then VISIT_AFTER[$visit]+="$file "; else VISIT_FILES[$visit]+="$file "; fi
      ;;
  esac
done <"$WORK/first-visit.txt"
read -r -a FIRST <<<"${VISIT_FILES[/]:-}"
read -r -a APP_FIRST <<<"${VISIT_FILES[/connexion]:-}"
# The public pages are sent without the client (`app::sends_client`); the sign-in page
# brings it. A first visit of sign-in that downloads nothing means the measure is broken.
[ "${#APP_FIRST[@]}" -gt 0 ] || ERRORS+=("the first visit of /connexion downloaded no /pkg/ script")
CSS="$({ grep -oE '/pkg/[A-Za-z0-9._/-]+\.css' "$WORK/home.html" || true; } | sed 's#^/##' | awk 'NR == 1')"
CSS="${CSS:-pkg/guichet.css}"

# ---------------------------------------------------------------------- stop
say "server: stopping"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

# ---------------------------------------------------------------------- report
verdict() { # value, budget, "min" or "max" → within budget / OVER BUDGET
  awk -v v="$1" -v b="$2" -v kind="$3" 'BEGIN {
    ok = (kind == "min") ? (v + 0 >= b + 0) : (v + 0 < b + 0)
    print (ok ? "within budget" : "OVER BUDGET")
  }'
}
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb * 1024 / 1e6 }'; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000 }'; }

echo
say "Guichet benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
say "machine: $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.1f GB", $2 * 1024 / 1e9 }' /proc/meminfo) RAM; release build; loopback; $BACKEND"
say "data: $ACCOUNTS accounts, $DOSSIERS dossiers (guichet generate; $GEN_LOG)"
say "load: wrk --latency -t$THREADS -c$CONNECTIONS -d${DURATION}s after ${WARMUP}s of warm-up, per page"
echo
printf '[bench] %-48s %10s %9s %9s %8s\n' "page" "req/s" "p50 ms" "p99 ms" "non-2xx"
for i in "${!NAMES[@]}"; do
  printf '[bench] %-48s %10.1f %9.2f %9.2f %8s\n' "${NAMES[$i]}" "${RPS[$i]}" "${P50[$i]}" "${P99[$i]}" "${NON2XX[$i]}"
done
echo
HOME_RPS="${RPS[0]}"
STATIC_RPS="${RPS[5]}"
RATIO="$(awk -v a="$HOME_RPS" -v b="$STATIC_RPS" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
say "budget: home page $HOME_RPS req/s = $RATIO × the static file's $STATIC_RPS req/s (≥ 0.50): $(verdict "$RATIO" 0.5 min)"
for i in "${!NAMES[@]}"; do
  say "budget: p99 of ${NAMES[$i]}: ${P99[$i]} ms (< $P99_BUDGET_MS ms): $(verdict "${P99[$i]}" "$P99_BUDGET_MS" max)"
done
say "budget: server memory after the runs: VmHWM $(mb "$HWM_KB") MB, VmRSS $(mb "$RSS_KB") MB (< $MEMORY_BUDGET_MB MB): $(verdict "$(mb "$HWM_KB")" "$MEMORY_BUDGET_MB" max)"
say "        of which anonymous (heaps, stacks) $(mb "$ANON_KB") MB, mapped files (the binary, libraries) $(mb "$FILE_KB") MB; $THREADS_NOW threads"

echo
files_weight() { # file list → brotli total
  local total=0 file
  for file in $1; do total=$((total + $(br_size "$file"))); done
  printf '%s' "$total"
}
# The public pages (home, a démarche) are sent without the client: a first visit of them
# downloads no script. The sign-in page is the first that runs the app; its figure is
# printed against the same budget.
for visit in "${VISITS[@]}"; do
  read -r -a files <<<"${VISIT_FILES[$visit]:-}"
  say "client weight: brotli -q 11 of the JS and WASM a first visit of $visit downloads (Chromium)"
  [ "${#files[@]}" -gt 0 ] || say "  none: the page is sent without the client"
  for file in "${files[@]}"; do
    printf '[bench]   %-44s %10s bytes raw %9s bytes brotli\n' "$file" "$(raw_size "$file")" "$(br_size "$file")"
  done
  total="$(files_weight "${VISIT_FILES[$visit]:-}")"
  line="budget: WASM + JS of a first visit of $visit: $(kb "$total") KB brotli (< $WEIGHT_BUDGET_KB KB): $(verdict "$(kb "$total")" "$WEIGHT_BUDGET_KB" max)"
  if [ -n "${VISIT_AFTER[$visit]:-}" ]; then
    line+="; then $(kb "$(files_weight "${VISIT_AFTER[$visit]}")") KB prefetched once it runs ($(wc -w <<<"${VISIT_AFTER[$visit]}" | tr -d ' ') files)"
  fi
  say "$line"
done
if [ -f "$SITE/$CSS" ]; then
  say "client weight: the stylesheet $CSS: $(kb "$(br_size "$CSS")") KB brotli ($(raw_size "$CSS") bytes raw), not counted above"
fi
say "every file of $SITE/pkg (* loaded by a first visit of the home page, + of the sign-in page; the others on demand, or never):"
while IFS= read -r path; do
  file="${path#"$SITE/"}"
  mark=" "
  case " ${APP_FIRST[*]} " in *" $file "*) mark="+" ;; esac
  case " ${FIRST[*]} " in *" $file "*) mark="*" ;; esac
  printf '[bench]  %s %-44s %10s bytes raw %9s bytes brotli\n' "$mark" "$file" "$(raw_size "$file")" "$(br_size "$file")"
done < <(find "$SITE/pkg" -type f | sort)

echo
say "wrk outputs and the server log: $LOG_DIR"
say "finished in $((SECONDS - START)) s"
if [ "${#ERRORS[@]}" -gt 0 ]; then
  for e in "${ERRORS[@]}"; do printf '[bench] ERROR: %s\n' "$e" >&2; done
  exit 1
fi
