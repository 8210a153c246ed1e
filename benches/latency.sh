#!/usr/bin/env bash
# Start-up latency: `devin-handoff --version`, and `create --dry-run` in a small repository
# (20 files, one change), beside `git --version` and `git status` as references.
#
# usage: benches/latency.sh [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-50}
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
bin="$here/../target/release/devin-handoff"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
git init -q -b main small
cd small
git config user.email bench@example.com
git config user.name bench
for i in $(seq 1 20); do printf 'fn f%s() {}\n' "$i" > "f$i.rs"; done
git add -A && git commit -qm init
git remote add origin https://github.com/bench/small.git
git update-ref refs/remotes/origin/main HEAD
echo "// change" >> f1.rs
python3 "$here/timeit.py" "$runs" \
  "git --version=git --version" \
  "devin-handoff --version=$bin --version" \
  "git status=git status --porcelain" \
  "devin-handoff create --dry-run=$bin create --dry-run small"
