#!/usr/bin/env bash
# Backup drill: backs up a SQLite data folder with scripts/backup.sh, restores the backup
# into a new folder with scripts/restore.sh, and compares the two:
#   - every table: row count and content (rows sorted on every column, hashed);
#     `session` excepted, which backups leave out by design;
#   - the files (attachments, documents) and the outbox: names and SHA-256;
#   - in the restored copy: SQLite's integrity and foreign key checks, and every
#     file record (dossier_file, message_file, received_document) against its file
#     (present, same SHA-256).
# Prints "identical" and exits 0, or the differences and exits 1.
#
# Usage: scripts/backup-drill.sh DATA_DIR [WORK_DIR]
#   DATA_DIR  a data folder (guichet.db, files/, outbox/): stop its server first, or let
#             it sit idle, or tables it writes meanwhile (outbox, rate_limit…) will differ
#   WORK_DIR  where the backup and the restored copy go (default: a new temporary
#             folder, deleted when the drill passes, kept for inspection when it fails)
# Only this script's own environment is used: DATABASE_URL, GUICHET_* of the caller are
# ignored (SQLite in DATA_DIR, files in DATA_DIR/files, emails in DATA_DIR/outbox).
set -euo pipefail

say() { printf '[drill] %s\n' "$*"; }
die() {
    printf '[drill] error: %s\n' "$*" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || die "usage: scripts/backup-drill.sh DATA_DIR [WORK_DIR]"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(cd "$1" && pwd)" || die "no folder $1"
[[ -f $source_dir/guichet.db ]] || die "$source_dir/guichet.db not found (the drill is for SQLite data folders)"
if [[ $# -eq 2 ]]; then
    work="$2"
    [[ ! -e $work || -z "$(ls -A "$work")" ]] || die "$work is not empty"
    mkdir -p "$work"
    work="$(cd "$work" && pwd)"
    temporary=false
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/guichet-drill.XXXXXX")"
    temporary=true
fi
restored="$work/restored"
command -v sqlite3 >/dev/null || {
    # backup.sh installs it when run as root; the comparison needs it before that.
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing the sqlite3 command-line tool (Debian package sqlite3)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlite3 >/dev/null
    fi
    command -v sqlite3 >/dev/null || die "the sqlite3 command is missing: apt-get install sqlite3"
}

# A clean environment: the app's variables of the caller must not leak in.
clean_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}" "LANG=C.UTF-8")

say "source: $source_dir"
say "work folder: $work"
t0=$(date +%s)
"${clean_env[@]}" "GUICHET_DATA_DIR=$source_dir" bash "$here/backup.sh" --no-env-file "$work/backup"
t1=$(date +%s)
"${clean_env[@]}" "GUICHET_DATA_DIR=$restored" bash "$here/restore.sh" --no-env-file --owner "$(id -un)" "$work/backup"
t2=$(date +%s)

# --- comparison ------------------------------------------------------------------------
differences=0
differ() {
    say "DIFFERENCE: $*"
    differences=$((differences + 1))
}
q() { sqlite3 -batch -cmd ".timeout 30000" "$@"; }
src_db="$source_dir/guichet.db"
dst_db="$restored/guichet.db"

# Restore the ownership of side files sqlite3 may create next to a stopped server's file.
# shellcheck disable=SC2317 # called by the EXIT trap
fix_side_files() {
    local side
    for side in "$src_db-wal" "$src_db-shm"; do
        if [[ -e $side && $(id -u) -eq 0 ]]; then chown --reference="$src_db" "$side" 2>/dev/null || true; fi
    done
}
trap fix_side_files EXIT

tables_of() { q "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;"; }
# Every row, sorted on every column, as SQL literals: identical tables give identical text.
table_hash() {
    local db="$1" table="$2" columns order
    columns=$(q "$db" "SELECT count(*) FROM pragma_table_info('$table');")
    order=$(seq -s, 1 "$columns")
    q -cmd ".mode quote" "$db" "SELECT * FROM \"$table\" ORDER BY $order;" | sha256sum | cut -c1-16
}

say "tables (source rows / restored rows):"
all_tables=$( (tables_of "$src_db"; tables_of "$dst_db") | LC_ALL=C sort -u)
total_rows=0
for table in $all_tables; do
    in_src=$(q "$src_db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$table';")
    in_dst=$(q "$dst_db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$table';")
    if [[ $in_src != 1 || $in_dst != 1 ]]; then
        differ "table $table exists in only one of the two"
        continue
    fi
    n_src=$(q "$src_db" "SELECT count(*) FROM \"$table\";")
    n_dst=$(q "$dst_db" "SELECT count(*) FROM \"$table\";")
    if [[ $table == session ]]; then
        printf '[drill]   %-22s %8s / %-8s not saved by design (everyone signs in again)\n' "$table" "$n_src" "$n_dst"
        [[ $n_dst == 0 ]] || differ "the restored copy holds $n_dst sessions"
        continue
    fi
    total_rows=$((total_rows + n_src))
    if [[ $n_src != "$n_dst" ]]; then
        printf '[drill]   %-22s %8s / %-8s ROW COUNTS DIFFER\n' "$table" "$n_src" "$n_dst"
        differ "table $table: $n_src rows in the source, $n_dst restored"
    elif [[ $(table_hash "$src_db" "$table") != "$(table_hash "$dst_db" "$table")" ]]; then
        printf '[drill]   %-22s %8s / %-8s CONTENT DIFFERS\n' "$table" "$n_src" "$n_dst"
        differ "table $table: same row count, different content"
    else
        printf '[drill]   %-22s %8s / %-8s identical\n' "$table" "$n_src" "$n_dst"
    fi
done

check=$(q "$dst_db" "PRAGMA integrity_check;")
[[ $check == ok ]] || differ "integrity check of the restored database: $check"
fk=$(q "$dst_db" "PRAGMA foreign_key_check;")
[[ -z $fk ]] || differ "foreign key check of the restored database: $fk"

# Names and SHA-256 of the files under a folder (uploads in progress, *#N, left out).
listing() {
    if [[ -d $1 ]]; then
        (cd "$1" && find . -type f ! -name '*#*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    fi
}
compare_folder() {
    local what="$1" a="$2" b="$3" la lb
    la=$(listing "$a")
    lb=$(listing "$b")
    if [[ $la == "$lb" ]]; then
        say "$what: $(printf '%s' "$la" | grep -c . || true) files, names and SHA-256 identical"
    else
        differ "$what: the restored files differ from the source's"
        diff <(printf '%s\n' "$la") <(printf '%s\n' "$lb") | sed 's/^/[drill]     /' | head -40 || true
    fi
}
compare_folder "files" "$source_dir/files" "$restored/files"
compare_folder "outbox" "$source_dir/outbox" "$restored/outbox"

# Every file record of the restored database has its file, with the recorded SHA-256.
records=""
for table in dossier_file message_file received_document; do
    if [[ -n $(q "$dst_db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '$table';") ]]; then
        records+=$(q -separator ' ' "$dst_db" "SELECT storage_key, sha256 FROM \"$table\";")$'\n'
    fi
done
checked=0
missing=0
while read -r key sha; do
    [[ -n $key ]] || continue
    checked=$((checked + 1))
    file="$restored/files/$key"
    if [[ ! -f $file ]]; then
        differ "record without its file: $key"
        missing=$((missing + 1))
    elif [[ $(sha256sum "$file" | cut -d' ' -f1) != "$sha" ]]; then
        differ "file $key does not match its recorded SHA-256"
        missing=$((missing + 1))
    fi
done <<<"$records"
say "file records: $checked checked against their files, $missing missing or altered"

say "backup $((t1 - t0)) s, restore $((t2 - t1)) s, backup size $(du -sh "$work/backup" | cut -f1), $total_rows rows compared"
if [[ $differences -eq 0 ]]; then
    say "identical"
    if $temporary; then
        rm -rf "$work"
        say "work folder removed"
    fi
    exit 0
fi
say "$differences difference(s); the backup and the restored copy are in $work"
exit 1
