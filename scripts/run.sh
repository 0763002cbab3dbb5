#!/usr/bin/env bash
# Builds and starts Guichet on http://127.0.0.1:3000 with a SQLite database under data/
# and demo data (démarches, one instructor and one administrator account).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh build
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"
export GUICHET_DEMO_DATA="${GUICHET_DEMO_DATA:-true}"
echo "[run] building and starting Guichet on http://127.0.0.1:3000 (demo accounts: see README.md or the log)"
exec cargo leptos serve --split "$@"
