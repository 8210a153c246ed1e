#!/usr/bin/env bash
# Memory benchmark: peak resident memory of `devin-handoff create --dry-run` with one large
# untracked text file (default 287 MB, the size an outside check used), beside `git diff
# --no-index` and `git add -N && git diff` on the same file, in the same run. The tool's
# figure must stay bounded whatever the file's size (files over 32 MiB are left out).
#
# usage: benches/memory.sh [MEGABYTES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mb=${1:-287}
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
bin="$here/../target/release/devin-handoff"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
git init -q repo && cd repo
git -c user.name=b -c user.email=b@example.com commit -q --allow-empty -m base
python3 - "$mb" <<'PY'
import sys
line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
with open("big.txt", "wb") as f:
    for _ in range(int(sys.argv[1]) * 1024 * 1024 // len(line)):
        f.write(line)
PY
peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
printf '%-44s %8s\n' "command ($mb MB untracked text file)" "peak KiB"
printf '%-44s %8s\n' "devin-handoff create --dry-run --json" "$(peak "$bin" create --dry-run --json bench)"
printf '%-44s %8s\n' "git diff --no-index /dev/null big.txt" "$(peak sh -c 'git diff --no-index /dev/null big.txt; true')"
