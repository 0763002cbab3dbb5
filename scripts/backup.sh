#!/usr/bin/env bash
# One backup of a Guichet installation, into a new folder:
#
#   guichet.db       SQLite: a consistent copy taken while the server runs (VACUUM INTO,
#                    one read transaction), sessions removed
#   guichet.pgdump   PostgreSQL: pg_dump -Fc (one snapshot), sessions' rows left out
#   files.tar        attachments and documents (GUICHET_STORAGE_PATH), unless they are in
#                    object storage (GUICHET_STORAGE_URL): then the bucket's versioning and
#                    replication keep them (see the README's deployment guide)
#   outbox.tar       emails written as .eml files, when GUICHET_SMTP_URL is unset
#   guichet.env      the settings file (it holds passwords: the folder is private)
#   MANIFEST.txt     what was saved, from where, when; SHA256SUMS: checked by restore.sh
#
# Sessions are not saved: after a restore everyone signs in again.
#
# Usage: scripts/backup.sh [--env-file FILE | --no-env-file] [DEST]
#   DEST      a folder that does not exist yet or is empty
#             (default: backups/guichet-<UTC date and time>)
#   FILE      the server's settings (default: $GUICHET_ENV_FILE, else
#             /etc/guichet/guichet.env when readable). Variables already set in the
#             environment win over the file.
# It reads the same variables as the server: GUICHET_DATA_DIR (default data),
# DATABASE_URL (default sqlite://<data dir>/guichet.db?mode=rwc), GUICHET_STORAGE_PATH
# (default <data dir>/files), GUICHET_STORAGE_URL, GUICHET_SMTP_URL, GUICHET_CONFIG.
# Relative paths are taken from the current folder: run it where the server runs
# (/opt/guichet, or the repository in development), or use absolute paths.
#
# Run it as root or as the server's user. Needs: sqlite3 (installed from Debian's
# packages when missing and run as root) or pg_dump (postgresql-client, of a version at
# least the server's), tar, sha256sum.
set -euo pipefail

say() { printf '[backup] %s\n' "$*"; }
die() {
    printf '[backup] error: %s\n' "$*" >&2
    exit 1
}

# --- arguments -----------------------------------------------------------------------
env_file="${GUICHET_ENV_FILE-}"
no_env_file=false
dest=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --env-file)
            [[ $# -ge 2 ]] || die "--env-file needs a file"
            env_file="$2"
            shift 2
            ;;
        --no-env-file)
            no_env_file=true
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        -*) die "unknown option $1 (see --help)" ;;
        *)
            [[ -z $dest ]] || die "one destination only"
            dest="$1"
            shift
            ;;
    esac
done

# --- settings, as the server reads them --------------------------------------------------
# Reads a systemd environment file (KEY=value, # comments, optional quotes) without
# running it as shell code; variables already set keep their value.
load_env_file() {
    local file="$1" line key value
    while IFS= read -r line || [[ -n $line ]]; do
        line="${line#"${line%%[![:space:]]*}"}"
        [[ -z $line || $line == \#* || $line == \;* || $line != *=* ]] && continue
        key="${line%%=*}"
        key="${key%"${key##*[![:space:]]}"}"
        [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        value="${line#*=}"
        value="${value#"${value%%[![:space:]]*}"}"
        value="${value%"${value##*[![:space:]]}"}"
        if [[ ${#value} -ge 2 && ($value == \"*\" || $value == \'*\') ]]; then
            value="${value:1:${#value}-2}"
        fi
        if [[ -z ${!key-} ]]; then
            export "$key=$value"
        fi
    done <"$file"
}

if $no_env_file; then
    env_file=""
elif [[ -z $env_file && -r /etc/guichet/guichet.env ]]; then
    env_file=/etc/guichet/guichet.env
fi
if [[ -n $env_file ]]; then
    [[ -r $env_file ]] || die "cannot read the settings file $env_file"
    say "settings: $env_file (and the environment)"
    load_env_file "$env_file"
else
    say "settings: the environment only (no settings file)"
fi

data_dir="${GUICHET_DATA_DIR:-data}"
database_url="${DATABASE_URL:-sqlite://$data_dir/guichet.db?mode=rwc}"
storage_url="${GUICHET_STORAGE_URL-}"
storage_path="${GUICHET_STORAGE_PATH:-$data_dir/files}"
smtp_url="${GUICHET_SMTP_URL-}"

# `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for printing.
masked() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }

# The file of a sqlite:// URL, as src/server/db.rs reads it.
sqlite_file() {
    local rest="${1#sqlite://}"
    [[ $rest == "$1" ]] && rest="${1#sqlite:}"
    rest="${rest%%\?*}"
    printf '%s' "$rest"
}

# Percent-decoding, for a password taken out of a URL.
url_decode() {
    local s="${1//+/ }"
    printf '%b' "${s//%/\\x}"
}

# Runs a PostgreSQL client with DATABASE_URL, the password passed in PGPASSWORD rather
# than on the command line (where `ps` would show it): pg_client CMD ARGS… (the URL is
# given as --dbname).
pg_client() {
    local cmd="$1" url="$database_url" password=""
    shift
    if [[ $url =~ ^(postgres(ql)?://)([^:@/]*):([^@]*)@(.*)$ ]]; then
        password="$(url_decode "${BASH_REMATCH[4]}")"
        url="${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[5]}"
    fi
    if [[ -n $password ]]; then
        PGPASSWORD="$password" "$cmd" --dbname="$url" "$@"
    else
        "$cmd" --dbname="$url" "$@"
    fi
}

ensure_sqlite3() {
    command -v sqlite3 >/dev/null && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing the sqlite3 command-line tool (Debian package sqlite3)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlite3 >/dev/null ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlite3 >/dev/null; }
    fi
    command -v sqlite3 >/dev/null || die "the sqlite3 command is missing: apt-get install sqlite3"
}

# SQLite creates <db>-wal and -shm when the server is stopped; created by root they
# would stop the server's user from opening its database: give them the database's owner.
fix_sqlite_side_files() {
    local db="$1" side
    for side in "$db-wal" "$db-shm"; do
        if [[ -e $side && $(id -u) -eq 0 ]]; then
            chown --reference="$db" "$side" 2>/dev/null || true
        fi
    done
}

# A string as an SQL literal.
sql_text() { printf "'%s'" "${1//\'/\'\'}"; }

# --- destination ---------------------------------------------------------------------
if [[ -z $dest ]]; then
    dest="backups/guichet-$(date -u +%Y%m%dT%H%M%SZ)"
fi
if [[ -e $dest ]]; then
    [[ -d $dest && -z "$(ls -A "$dest")" ]] || die "$dest exists and is not an empty folder"
fi
umask 077
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
say "backup folder: $dest (readable by $(id -un) only: it holds personal data and passwords)"
started=$(date +%s)
manifest="$dest/MANIFEST.txt"
{
    echo "Guichet backup"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(hostname)"
    if [[ -x ${GUICHET_BIN:-/opt/guichet/guichet} ]]; then
        echo "binary: $("${GUICHET_BIN:-/opt/guichet/guichet}" --version 2>/dev/null || echo unknown)"
    fi
    echo "data dir: $data_dir"
    echo "database: $(masked "$database_url")"
} >"$manifest"

# --- 1. the database (first: files written after it are at worst unreferenced) -------
case "$database_url" in
    sqlite:*)
        db="$(sqlite_file "$database_url")"
        [[ -n $db && $db != ":memory:" ]] || die "DATABASE_URL names no SQLite file"
        [[ -f $db ]] || die "no SQLite database at $db (GUICHET_DATA_DIR=$data_dir)"
        ensure_sqlite3
        say "database: SQLite $db → guichet.db (VACUUM INTO: a consistent copy, the server may keep running)"
        sqlite3 -batch -cmd ".timeout 30000" "$db" "VACUUM INTO $(sql_text "$dest/guichet.db");"
        fix_sqlite_side_files "$db"
        if [[ -n $(sqlite3 -batch "$dest/guichet.db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'session';") ]]; then
            sessions=$(sqlite3 -batch "$dest/guichet.db" "SELECT count(*) FROM session;")
            sqlite3 -batch "$dest/guichet.db" "PRAGMA secure_delete = ON; DELETE FROM session;" >/dev/null
            say "database: $sessions session(s) left out of the copy"
        fi
        check="$(sqlite3 -batch "$dest/guichet.db" "PRAGMA integrity_check;")"
        [[ $check == ok ]] || die "the copy fails SQLite's integrity check: $check"
        migration="$(sqlite3 -batch "$dest/guichet.db" "SELECT max(version) FROM seaql_migrations;" 2>/dev/null || true)"
        say "database: copy checked (integrity ok), $(du -h "$dest/guichet.db" | cut -f1), last migration ${migration:-none}"
        {
            echo "database copy: guichet.db (SQLite, VACUUM INTO, sessions removed)"
            echo "last migration: ${migration:-none}"
        } >>"$manifest"
        ;;
    postgres:* | postgresql:*)
        command -v pg_dump >/dev/null ||
            die "pg_dump is missing: apt-get install postgresql-client (its version at least the server's)"
        say "database: PostgreSQL $(masked "$database_url") → guichet.pgdump (pg_dump -Fc, one snapshot; sessions' rows left out)"
        pg_client pg_dump --format=custom --compress=6 --no-password \
            --exclude-table-data=session --file="$dest/guichet.pgdump"
        pg_restore --list "$dest/guichet.pgdump" >/dev/null || die "pg_restore cannot read the dump"
        migration="$(pg_client psql --no-password -At -c "SELECT max(version) FROM seaql_migrations" 2>/dev/null || true)"
        say "database: dump checked (pg_restore --list), $(du -h "$dest/guichet.pgdump" | cut -f1), last migration ${migration:-unknown}"
        {
            echo "database copy: guichet.pgdump (pg_dump -Fc $(pg_dump --version | awk '{print $3}'), without the session table's rows)"
            echo "last migration: ${migration:-unknown}"
        } >>"$manifest"
        ;;
    *) die "DATABASE_URL is neither sqlite: nor postgres: ($(masked "$database_url"))" ;;
esac

# --- 2. the files --------------------------------------------------------------------
if [[ -n $storage_url ]]; then
    say "files: in object storage ($storage_url): not copied here. Keep them with the bucket's"
    say "       versioning (deleted or overwritten objects stay recoverable) and replication"
    say "       to a second site; this backup's date is the point in time to restore them to."
    echo "files: in object storage $storage_url, not in this backup (bucket versioning)" >>"$manifest"
elif [[ -d $storage_path ]]; then
    count=$(find "$storage_path" -type f ! -name '*#*' | wc -l)
    say "files: $storage_path → files.tar ($count files; parts of uploads in progress, named *#N, left out)"
    tar -C "$storage_path" --exclude='*#*' -cf "$dest/files.tar" .
    echo "files: files.tar from $storage_path ($count files)" >>"$manifest"
else
    say "files: $storage_path does not exist (no attachment yet): nothing to save"
    echo "files: none ($storage_path absent)" >>"$manifest"
fi

# --- 3. the outbox, when emails are files --------------------------------------------
outbox="$data_dir/outbox"
if [[ -n $smtp_url ]]; then
    say "outbox: GUICHET_SMTP_URL is set: emails leave by SMTP, their queue is in the database"
    echo "outbox: not saved (SMTP; the queue is in the database)" >>"$manifest"
elif [[ -d $outbox ]]; then
    count=$(find "$outbox" -type f | wc -l)
    say "outbox: $outbox → outbox.tar ($count emails written as .eml files, GUICHET_SMTP_URL unset)"
    tar -C "$outbox" -cf "$dest/outbox.tar" .
    echo "outbox: outbox.tar from $outbox ($count files)" >>"$manifest"
else
    say "outbox: $outbox does not exist: nothing to save"
    echo "outbox: none" >>"$manifest"
fi

# --- 4. the configuration ------------------------------------------------------------
if [[ -n $env_file ]]; then
    cp "$env_file" "$dest/guichet.env"
    say "configuration: $env_file → guichet.env"
    echo "configuration: guichet.env from $env_file" >>"$manifest"
else
    say "configuration: no settings file to save (settings came from the environment)"
    echo "configuration: none" >>"$manifest"
fi
if [[ -n ${GUICHET_CONFIG-} && -f $GUICHET_CONFIG ]]; then
    cp "$GUICHET_CONFIG" "$dest/guichet.toml"
    say "configuration: $GUICHET_CONFIG → guichet.toml"
    echo "configuration: guichet.toml from $GUICHET_CONFIG" >>"$manifest"
fi

# --- checksums -----------------------------------------------------------------------
sums="$(cd "$dest" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort | xargs -r sha256sum)"
printf '%s\n' "$sums" >"$dest/SHA256SUMS"
say "done in $(($(date +%s) - started)) s: $(du -sh "$dest" | cut -f1) in $dest"
say "copy this folder to another machine or medium; restore with: scripts/restore.sh $dest"
