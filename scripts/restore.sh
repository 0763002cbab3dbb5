#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a STOPPED Guichet installation (or a
# new one): the database, the files, the outbox. The settings file is never overwritten:
# the saved copy is compared with the current one.
#
# Usage: scripts/restore.sh [--env-file FILE | --no-env-file] [--force] [--owner USER]
#                           BACKUP_DIR
#   FILE      the target's settings (default: $GUICHET_ENV_FILE, else
#             /etc/guichet/guichet.env when readable); variables already set in the
#             environment win. The same variables as the server: GUICHET_DATA_DIR,
#             DATABASE_URL, GUICHET_STORAGE_PATH, GUICHET_STORAGE_URL, LEPTOS_SITE_ADDR.
#   --force   the target already holds data: with every instance stopped, move the SQLite
#             file, the files and the outbox aside (*.before-restore-<date>) and restore.
#             A PostgreSQL database must always be empty (the commands to empty it are
#             printed): nothing is dropped by this script.
#   --owner   who owns the restored files (default, as root: the data folder's owner,
#             else the user guichet when it exists).
#
# After it: start the instances; migrations newer than the backup apply at start.
set -euo pipefail

say() { printf '[restore] %s\n' "$*"; }
die() {
    printf '[restore] error: %s\n' "$*" >&2
    exit 1
}

# --- arguments -----------------------------------------------------------------------
env_file="${GUICHET_ENV_FILE-}"
no_env_file=false
force=false
owner=""
backup=""
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
        --force)
            force=true
            shift
            ;;
        --owner)
            [[ $# -ge 2 ]] || die "--owner needs a user"
            owner="$2"
            shift 2
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        -*) die "unknown option $1 (see --help)" ;;
        *)
            [[ -z $backup ]] || die "one backup folder only"
            backup="$1"
            shift
            ;;
    esac
done
[[ -n $backup ]] || die "usage: scripts/restore.sh [--force] BACKUP_DIR (see --help)"
[[ -f $backup/MANIFEST.txt && -f $backup/SHA256SUMS ]] ||
    die "$backup is not a backup of scripts/backup.sh (no MANIFEST.txt and SHA256SUMS)"
backup="$(cd "$backup" && pwd)"

# --- settings, as the server reads them (same code as backup.sh) ---------------------
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
site_addr="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"

masked() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }
sqlite_file() {
    local rest="${1#sqlite://}"
    [[ $rest == "$1" ]] && rest="${1#sqlite:}"
    rest="${rest%%\?*}"
    printf '%s' "$rest"
}
url_decode() {
    local s="${1//+/ }"
    printf '%b' "${s//%/\\x}"
}
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
# Whether a folder holds at least one file.
has_files() { [[ -d $1 ]] && [[ -n "$(find "$1" -type f -print -quit)" ]]; }

# --- the backup itself ---------------------------------------------------------------
say "backup: $backup"
sed 's/^/[restore]   /' "$backup/MANIFEST.txt"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || die "the backup's checksums do not match: it is damaged"
say "backup: checksums ok"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
started=$(date +%s)

# --- who will own the restored files -------------------------------------------------
if [[ -z $owner && $(id -u) -eq 0 ]]; then
    if [[ -d $data_dir ]]; then
        owner="$(stat -c %U "$data_dir")"
    elif id guichet >/dev/null 2>&1; then
        owner=guichet
    fi
fi
chown_to_owner() {
    if [[ -n $owner && $(id -u) -eq 0 ]]; then
        chown -R "$owner:$(id -gn "$owner")" "$@"
    fi
}

# --- is the target empty? is the server stopped? -------------------------------------
db_kind=""
[[ -f $backup/guichet.db ]] && db_kind=sqlite
[[ -f $backup/guichet.pgdump ]] && db_kind=postgres
[[ -n $db_kind ]] || die "the backup holds no database (guichet.db or guichet.pgdump)"

occupied=()
case "$database_url" in
    sqlite:*)
        [[ $db_kind == sqlite ]] ||
            die "the backup holds a PostgreSQL dump but DATABASE_URL is SQLite: set DATABASE_URL to the PostgreSQL database to restore into"
        db="$(sqlite_file "$database_url")"
        [[ -n $db && $db != ":memory:" ]] || die "DATABASE_URL names no SQLite file"
        [[ -s $db ]] && occupied+=("the database $db")
        ;;
    postgres:* | postgresql:*)
        [[ $db_kind == postgres ]] ||
            die "the backup holds a SQLite database but DATABASE_URL is PostgreSQL: restore it into SQLite (unset DATABASE_URL); moving between the two is not supported"
        if ! command -v pg_restore >/dev/null || ! command -v psql >/dev/null; then
            die "pg_restore and psql are missing: apt-get install postgresql-client"
        fi
        tables="$(pg_client psql --no-password -At -v ON_ERROR_STOP=1 \
            -c "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" ||
            die "cannot connect to $(masked "$database_url")"
        if [[ $tables != 0 ]]; then
            say "the PostgreSQL database $(masked "$database_url") already has $tables tables."
            say "This script never drops anything. With every instance stopped, recreate it empty, e.g.:"
            say "  sudo -u postgres dropdb <database> && sudo -u postgres createdb -O <role> <database>"
            die "the target database is not empty"
        fi
        ;;
    *) die "DATABASE_URL is neither sqlite: nor postgres: ($(masked "$database_url"))" ;;
esac
if [[ -f $backup/files.tar ]]; then
    [[ -z $storage_url ]] ||
        die "the backup holds files.tar but GUICHET_STORAGE_URL is set: extract it (tar -xf) and upload its content under $storage_url with your S3 tool (e.g. aws s3 sync . $storage_url)"
    has_files "$storage_path" && occupied+=("the files in $storage_path")
fi
if [[ -f $backup/outbox.tar ]]; then
    has_files "$data_dir/outbox" && occupied+=("the outbox $data_dir/outbox")
fi

if [[ ${#occupied[@]} -gt 0 ]]; then
    say "the target already holds data: $(printf '%s; ' "${occupied[@]}")"
    $force || die "stop every instance and run again with --force (the current data is moved aside, not deleted)"
    # Restoring under a running server would mix two states: refuse.
    if command -v systemctl >/dev/null; then
        running="$(systemctl list-units --type=service --state=active --no-legend --plain 'guichet@*' 'guichet.service' 2>/dev/null | awk '{print $1}' | tr '\n' ' ' || true)"
        [[ -z ${running// /} ]] || die "still running: $running— stop them first (systemctl stop $running)"
    fi
    host="${site_addr%:*}"
    port="${site_addr##*:}"
    host="${host#[}"
    host="${host%]}"
    # shellcheck disable=SC2016 # $0 and $1 are the inner shell's arguments
    if timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
        die "something answers on $site_addr (LEPTOS_SITE_ADDR): stop the server first"
    fi
    say "no instance running: the current data is moved aside with the suffix .before-restore-$stamp"
fi

# Moves a path aside when it exists: path → path.before-restore-<stamp>.
move_aside() {
    if [[ -e $1 ]]; then
        mv "$1" "$1.before-restore-$stamp"
        say "  moved aside: $1 → $1.before-restore-$stamp"
    fi
}

# --- 1. the database -----------------------------------------------------------------
if [[ $db_kind == sqlite ]]; then
    ensure_sqlite3
    say "database: guichet.db → SQLite $db"
    if [[ -s $db ]]; then
        move_aside "$db"
        move_aside "$db-wal"
        move_aside "$db-shm"
    fi
    rm -f "$db-wal" "$db-shm"
    parent="$(dirname "$db")"
    if [[ ! -d $parent ]]; then
        mkdir -p "$parent"
        chown_to_owner "$parent"
    fi
    cp "$backup/guichet.db" "$db.restoring"
    check="$(sqlite3 -batch "$db.restoring" "PRAGMA integrity_check;")"
    [[ $check == ok ]] || die "the restored database fails SQLite's integrity check: $check"
    mv "$db.restoring" "$db"
    chmod 0640 "$db"
    chown_to_owner "$db"
    say "database: restored and checked (integrity ok)"
else
    say "database: guichet.pgdump → PostgreSQL $(masked "$database_url") (one transaction)"
    pg_client pg_restore --no-password --no-owner --no-privileges --single-transaction \
        --exit-on-error "$backup/guichet.pgdump"
    say "database: restored (objects owned by the role of DATABASE_URL)"
fi

# --- 2. the files --------------------------------------------------------------------
if [[ -f $backup/files.tar ]]; then
    say "files: files.tar → $storage_path"
    has_files "$storage_path" && move_aside "$storage_path"
    mkdir -p "$storage_path"
    tar -C "$storage_path" -xf "$backup/files.tar"
    chown_to_owner "$storage_path"
    say "files: $(find "$storage_path" -type f | wc -l) files restored"
elif grep -q '^files: in object storage' "$backup/MANIFEST.txt"; then
    say "files: they were in object storage ($(grep '^files:' "$backup/MANIFEST.txt" | sed 's/^files: in object storage //; s/, not in.*//'))."
    say "       If objects were deleted or overwritten since $(grep '^date:' "$backup/MANIFEST.txt" | cut -d' ' -f2),"
    say "       bring back their versions of that date with the bucket's versioning."
else
    say "files: none in the backup"
fi

# --- 3. the outbox -------------------------------------------------------------------
if [[ -f $backup/outbox.tar ]]; then
    say "outbox: outbox.tar → $data_dir/outbox"
    has_files "$data_dir/outbox" && move_aside "$data_dir/outbox"
    mkdir -p "$data_dir/outbox"
    tar -C "$data_dir/outbox" -xf "$backup/outbox.tar"
    chown_to_owner "$data_dir/outbox"
    say "outbox: $(find "$data_dir/outbox" -type f | wc -l) emails restored"
fi
if [[ -d $data_dir ]]; then
    chown_to_owner "$data_dir"
fi

# --- 4. the configuration (never overwritten) ----------------------------------------
for saved in guichet.env guichet.toml; do
    [[ -f $backup/$saved ]] || continue
    current="$env_file"
    [[ $saved == guichet.toml ]] && current="${GUICHET_CONFIG-}"
    if [[ -n $current && -f $current ]]; then
        if cmp -s "$backup/$saved" "$current"; then
            say "configuration: $current is the same as the saved $saved"
        else
            say "configuration: $current differs from the saved one: review with"
            say "  diff -u $current $backup/$saved"
        fi
    else
        say "configuration: the saved settings are in $backup/$saved; install them with e.g."
        say "  install -D -m 0640 -o root -g guichet $backup/$saved /etc/guichet/$saved"
    fi
done

say "done in $(($(date +%s) - started)) s${owner:+ (files owned by $owner)}. Sessions were not saved: everyone signs in again."
say "start the instances (systemctl start guichet@3000 …); newer migrations apply at start."
