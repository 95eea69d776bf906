#!/usr/bin/env bash
# Configures and builds rpdns into build/ (warnings are errors).
# Usage: scripts/build.sh [extra cmake -D options]
# BUILD_TYPE (default RelWithDebInfo) and BUILD_DIR (default build) may be set in the
# environment; scripts/bench.sh builds a Release tree of its own in build-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DRPDNS_WERROR=ON "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
