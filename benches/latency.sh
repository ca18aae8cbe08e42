#!/usr/bin/env bash
# End-to-end latency of the release binary, process start included:
#   1. `cfglint check` on one typical changed config file   (target <= 30 ms)
#   2. `cfglint diff` on a repository of 2,000 config files
#      where 3 changed                                       (target <= 200 ms)
#   3. `cfglint diff --staged` on the same repository with 3 staged changes
#
# Usage: benches/latency.sh [path/to/cfglint] [runs]
# Builds the repository in a temporary folder with the git CLI (removed on
# exit; nothing is committed). Uses hyperfine when installed, else a loop
# timed with `date +%s%N`; prints the median and other percentiles in ms.

set -euo pipefail

BIN=${1:-target/release/cfglint}
RUNS=${2:-30}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release)" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
REPO=$WORK/repo
mkdir -p "$REPO"

rule_file() { # n variant
  local n=$1 v=$2 r
  echo "rules:"
  for r in $(seq 0 19); do
    cat <<EOF
  - id: $((100000 + n * 100 + r))
    description: rule $r of file $n
    pattern: '(?i)\b(select|union|insert)\s+[a-z_]{1,$((8 + (r + v) % 40))}\s+from\b'
    targets: [args, uri]
    action: block
EOF
  done
}

echo "generating 2000 files in $REPO ..." >&2
for n in $(seq 0 1999); do
  d=$REPO/waf/team$(printf %02d $((n % 40)))
  mkdir -p "$d"
  rule_file "$n" 0 > "$d/rules$(printf %04d "$n").yaml"
done
git -C "$REPO" init -q -b main
git -C "$REPO" -c user.name=b -c user.email=b@e add -A
git -C "$REPO" -c user.name=b -c user.email=b@e commit -q -m base
for n in 7 901 1999; do
  rule_file "$n" 1 > "$REPO/waf/team$(printf %02d $((n % 40)))/rules$(printf %04d "$n").yaml"
done
git -C "$REPO" -c user.name=b -c user.email=b@e commit -q -am change
# Three more staged (not committed) changes for --staged.
for n in 8 902 1998; do
  rule_file "$n" 2 > "$REPO/waf/team$(printf %02d $((n % 40)))/rules$(printf %04d "$n").yaml"
done
git -C "$REPO" add -A
ONE=waf/team07/rules0007.yaml

measure() { # name, command...
  local name=$1; shift
  if command -v hyperfine > /dev/null; then
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/h.json" "$*" > /dev/null 2>&1 || true
    python3 - "$name" "$WORK/h.json" <<'PY'
import json, sys, statistics
t = sorted(x * 1000 for x in json.load(open(sys.argv[2]))["results"][0]["times"])
print(f"{sys.argv[1]:<44} median {statistics.median(t):6.1f} ms  min {t[0]:6.1f}  p90 {t[int(len(t)*0.9)-1]:6.1f}  max {t[-1]:6.1f}  (hyperfine, n={len(t)})")
PY
  else
    local times=() i s e
    for i in 1 2 3; do "$@" > /dev/null 2>&1 || true; done
    for i in $(seq "$RUNS"); do
      s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
      times+=($(( (e - s) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '{a[NR]=$1} END {
      printf "%-44s median %6.1f ms  min %6.1f  p90 %6.1f  max %6.1f  (loop, n=%d)\n",
        name, a[int((NR+1)/2)]/1000, a[1]/1000, a[int(NR*0.9)]/1000, a[NR]/1000, NR }'
  fi
}

cd "$REPO"
export CFGLINT_CACHE_DIR=$WORK/cache
measure "check one file (cache warm)"             "$BIN" check "$ONE" --no-config
measure "check one file (--no-cache)"             "$BIN" check "$ONE" --no-config --no-cache
measure "diff HEAD~1..HEAD, 2000 files, 3 changed" "$BIN" diff --no-config
measure "diff (--no-cache)"                        "$BIN" diff --no-config --no-cache
measure "diff --staged, 3 staged"                  "$BIN" diff --staged --no-config
