#!/usr/bin/env bash
# Capture benchmark: `devin-handoff create --dry-run` (which builds the bundle and the
# work-in-progress commits by default) against `git stash create` + `git bundle create` and
# `git diff HEAD` on a synthetic
# repository of 100,000 tracked files with 200 modified and 50 untracked, index fresh, timed
# side by side in the same run. "cold" removes the untracked cache before each run: the
# figure for a first handoff from a repository. `scan` captures and guards the same state
# without building anything: the dry run minus `scan` is the cost of the bundle and the
# work-in-progress commits, to set beside stash + bundle. git status runs twice: plain, and with git's
# own untracked cache on (`core.untrackedCache`, in a copy of the index), its fastest.
#
# usage: benches/capture.sh [FILES] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
files=${1:-100000}
runs=${2:-15}
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
bin="$here/../target/release/devin-handoff"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
work=$(python3 "$here/make-big-repo.py" "$tmp" "$files" 200 50)
cd "$work"
echo "repository: $files tracked files, $(git status --porcelain | wc -l) changed or untracked; $(nproc) cores"
# A copy of the index with git's untracked cache, so the plain runs are unaffected.
cp .git/index "$tmp/index-uc"
GIT_INDEX_FILE="$tmp/index-uc" git -c core.untrackedCache=true update-index --untracked-cache
GIT_INDEX_FILE="$tmp/index-uc" git -c core.untrackedCache=true status --porcelain >/dev/null
# The reference for the default carrier: the work in progress as commits (`git stash
# create`, which also commits the index) and a bundle of them (`git bundle create`), which is
# what `create` builds in memory by default.
wip="s=\$(git stash create) && git update-ref refs/bench/wip \$s && git bundle create -q $tmp/ref.bundle refs/bench/wip ^origin/main >/dev/null 2>&1; git update-ref -d refs/bench/wip"
python3 "$here/timeit.py" "$runs" \
  "git stash create + git bundle create=$wip" \
  "git diff HEAD=git diff HEAD" \
  "devin-handoff create --dry-run=$bin create --dry-run bench" \
  "  ... cold (no untracked cache)=rm -f .git/devin-handoff/untracked-cache && $bin create --dry-run bench" \
  "devin-handoff create --dry-run --json=$bin create --dry-run --json bench" \
  "devin-handoff scan (capture + guard, no bundle)=$bin scan" \
  "git status --porcelain=git status --porcelain" \
  "git status --porcelain, untracked cache on=GIT_INDEX_FILE=$tmp/index-uc git -c core.untrackedCache=true status --porcelain"
