#!/usr/bin/env bash
# Style and static checks, as CI runs them:
#  - clang-format --dry-run --Werror over src/ tests/ bench/ (.clang-format);
#  - clang-tidy over src/**/*.cpp with .clang-tidy's checks as errors, using
#    the compile_commands.json of BUILD_DIR (default build; configured here
#    if missing). Two files at a time, each bounded by TIDY_TIMEOUT seconds;
#  - the layers: a file of src/ROOM/ includes from other rooms only those
#    ARCHITECTURE.md's table lets ROOM use, so the arrows only point down.
# Usage: scripts/check-style.sh [format|tidy|layers]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
build_dir=${BUILD_DIR:-build}
status=0

if [ "$what" = all ] || [ "$what" = format ]; then
  echo "== clang-format" >&2
  if ! find src tests bench -name '*.cpp' -o -name '*.hpp' | sort |
      xargs clang-format --dry-run --Werror 2>"${TMPDIR:-/tmp}/rpdns-format.log"; then
    grep -E '^[^ ].*: (error|warning):' "${TMPDIR:-/tmp}/rpdns-format.log" | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
    echo "check-style: run clang-format -i on the files above" >&2
    status=1
  fi
fi

# ROOM FILE: the rooms FILE includes from that ARCHITECTURE.md does not let ROOM use.
stray_includes() {
  local room=$1 file=$2 row uses dep
  row=$(grep -E "^\| \`src/$room/\` \|" ARCHITECTURE.md) || { echo "-"; return; }  # "-": a room the table does not list
  uses=$(awk -F'|' '{ print $(NF - 1) }' <<<"$row")
  [[ $uses == *"everything below"* ]] && return
  for dep in $(sed -nE 's/^#include "([a-z_]+)\/.*/\1/p' "$file" | sort -u); do
    [ "$dep" = "$room" ] || [[ $uses == *"\`$dep\`"* ]] || echo "$dep"
  done
}

if [ "$what" = all ] || [ "$what" = layers ]; then
  echo "== layers (ARCHITECTURE.md)" >&2
  for file in src/*/*.cpp src/*/*.hpp; do
    room=$(basename "$(dirname "$file")")
    for dep in $(stray_includes "$room" "$file"); do
      if [ "$dep" = - ]; then
        echo "layers: src/$room/ has no row in ARCHITECTURE.md's table" >&2
      else
        echo "layers: $file includes from src/$dep/, which ARCHITECTURE.md does not let src/$room/ use" >&2
      fi
      status=1
    done
  done
fi

if [ "$what" = all ] || [ "$what" = tidy ]; then
  echo "== clang-tidy" >&2
  if [ ! -f "$build_dir/compile_commands.json" ]; then
    cmake -S . -B "$build_dir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DRPDNS_WERROR=ON >/dev/null
  fi
  # Each file alone is at most a minute; the whole of src/ about three on two cores.
  if ! find src -name '*.cpp' | sort |
      xargs -P2 -n1 timeout "${TIDY_TIMEOUT:-120}" clang-tidy -p "$build_dir" --quiet; then
    echo "check-style: clang-tidy found problems (or timed out) in the files above" >&2
    status=1
  fi
fi
exit $status
